/*
 * capi_check: libmycap's C API from C, for netraf's end-to-end tests
 * (tests/tests/capi.rs builds and runs it). One check per subcommand; prints
 * what it saw, exits 0 when every check held.
 *
 *   capi_check null                  NULL arguments are errors, not crashes
 *   capi_check unknown IFNAME        mycap_open fails: the message in errbuf
 *   capi_check endloop NETNS IFNAME  mycap_end_loop from a second thread ends
 *                                    an idle loop, twice (the loop runs again)
 *   capi_check file PATH             one line per packet of a capture file
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mycap.h"

static int failures;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            printf("FAIL line %d: %s\n", __LINE__, #cond);                            \
            failures++;                                                               \
        }                                                                             \
    } while (0)

static void *count_packet(void *user, mycap_header_t *h, unsigned char *packet) {
    (void)h;
    (void)packet;
    ++*(unsigned long long *)user;
    return NULL;
}

static int check_null(void) {
    char errbuf[MYCAP_ERRBUF_SIZE];
    unsigned long long r = 0, d = 0;
    mycap_bpf_insn_t ret0 = {0x06, 0, 0, 0};

    strcpy(errbuf, "untouched");
    CHECK(mycap_open_file(NULL, errbuf) == NULL);
    printf("open_file(NULL): %s\n", errbuf);
    CHECK(strcmp(errbuf, "the file path is NULL") == 0);
    CHECK(mycap_open_file(NULL, NULL) == NULL);

    CHECK(mycap_loop(NULL, count_packet, NULL) == -1);
    CHECK(mycap_stats(NULL, &r, &d) == -1);
    CHECK(mycap_activate(NULL) == -1);
    CHECK(mycap_set_snaplen(NULL, 64) == -1);
    CHECK(mycap_setfilter_bpf(NULL, &ret0, 1) == -1);
    CHECK(strcmp(mycap_geterr(NULL), "the session is NULL") == 0);
    mycap_end_loop(NULL);
    mycap_close(NULL);

    mycap_t *s = mycap_create("lo", errbuf);
    CHECK(s != NULL);
    if (s == NULL)
        return 1;
    CHECK(strcmp(mycap_geterr(s), "") == 0);
    CHECK(mycap_loop(s, NULL, NULL) == -1);
    printf("loop(handler NULL): %s\n", mycap_geterr(s));
    CHECK(strcmp(mycap_geterr(s), "the handler is NULL") == 0);
    CHECK(mycap_loop(s, count_packet, &r) == -1);
    printf("loop before activate: %s\n", mycap_geterr(s));
    CHECK(mycap_stats(s, NULL, &d) == -1);
    printf("stats(NULL): %s\n", mycap_geterr(s));
    CHECK(mycap_set_netns(s, NULL) == -1);
    printf("set_netns(NULL): %s\n", mycap_geterr(s));
    CHECK(strcmp(mycap_geterr(s), "the namespace path is NULL") == 0);
    CHECK(mycap_setfilter_bpf(s, NULL, 1) == -1);
    printf("setfilter_bpf(NULL): %s\n", mycap_geterr(s));
    CHECK(mycap_set_snaplen(s, 0) == -1);
    printf("set_snaplen(0): %s\n", mycap_geterr(s));
    CHECK(strstr(mycap_geterr(s), "snap length 0 is out of range") != NULL);
    CHECK(mycap_set_direction(s, 7) == -1);
    CHECK(mycap_set_fanout(s, 70000, MYCAP_FANOUT_HASH) == -1);
    CHECK(mycap_set_snaplen(s, 96) == 0);
    mycap_end_loop(s); /* before activation: nothing to end, no crash */
    mycap_close(s);
    return failures != 0;
}

static int check_unknown(const char *ifname) {
    char errbuf[MYCAP_ERRBUF_SIZE];
    strcpy(errbuf, "untouched");
    mycap_t *s = mycap_open(ifname, errbuf);
    CHECK(s == NULL);
    printf("%s\n", errbuf);
    mycap_close(s);
    return failures != 0;
}

struct ender {
    mycap_t *s;
    long delay_ms;
};

static void *end_later(void *arg) {
    struct ender *e = arg;
    struct timespec t = {e->delay_ms / 1000, (e->delay_ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
    mycap_end_loop(e->s);
    return NULL;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int check_endloop(const char *netns, const char *ifname) {
    char errbuf[MYCAP_ERRBUF_SIZE];
    mycap_t *s = mycap_create(ifname, errbuf);
    if (s == NULL) {
        printf("FAIL create: %s\n", errbuf);
        return 1;
    }
    if (mycap_set_netns(s, netns) != 0 || mycap_activate(s) != 0) {
        printf("FAIL activate: %s\n", mycap_geterr(s));
        mycap_close(s);
        return 1;
    }
    for (int run = 1; run <= 2; run++) {
        unsigned long long seen = 0;
        struct ender e = {s, 200};
        pthread_t thread;
        double start = now_ms();
        CHECK(pthread_create(&thread, NULL, end_later, &e) == 0);
        int rc = mycap_loop(s, count_packet, &seen);
        double took = now_ms() - start;
        pthread_join(thread, NULL);
        printf("run %d: rc %d after %.0f ms, %llu packets\n", run, rc, took, seen);
        CHECK(rc == 0);
        CHECK(took >= 190);
        CHECK(took < 2000);
    }
    mycap_close(s);
    return failures != 0;
}

/* FNV-1a, 64 bits: the packet's bytes in one number. */
static unsigned long long fnv1a(const unsigned char *p, int n) {
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static void *print_packet(void *user, mycap_header_t *h, unsigned char *packet) {
    (void)user;
    printf("%d %u %llu %u %u %u %u %u %s %016llx\n", h->caplen, (unsigned)h->len,
           (unsigned long long)h->ts_ns, (unsigned)h->ifindex, (unsigned)h->linktype,
           (unsigned)h->pkttype, (unsigned)h->vlan_tci, (unsigned)h->vlan_tpid, h->ifname,
           fnv1a(packet, h->caplen));
    return NULL;
}

static int check_file(const char *path) {
    char errbuf[MYCAP_ERRBUF_SIZE];
    mycap_t *s = mycap_open_file(path, errbuf);
    if (s == NULL) {
        printf("error %s\n", errbuf);
        return 0;
    }
    int rc = mycap_loop(s, print_packet, NULL);
    if (rc < 0)
        printf("error %s\n", mycap_geterr(s));
    else
        printf("end %d\n", rc);
    /* At the end of a file, the loop returns 1 again at once. */
    if (rc == 1)
        CHECK(mycap_loop(s, print_packet, NULL) == 1);
    mycap_close(s);
    return failures != 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "null") == 0)
        return check_null();
    if (argc == 3 && strcmp(argv[1], "unknown") == 0)
        return check_unknown(argv[2]);
    if (argc == 4 && strcmp(argv[1], "endloop") == 0)
        return check_endloop(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "file") == 0)
        return check_file(argv[2]);
    fprintf(stderr, "usage: capi_check null | unknown IF | endloop NETNS IF | file PATH\n");
    return 2;
}
