/*
 * mycapdump: MYCAP's original use, from C. Opens a session on an interface
 * (or all of them, or a capture file), prints one line per packet from its
 * header, ends on Ctrl-C (or after -c packets), prints what was received and
 * dropped.
 *
 *   cc mycap-capi/examples/mycapdump.c -Imycap-capi/include -Ltarget/release -lmycap -o mycapdump
 *   sudo LD_LIBRARY_PATH=target/release ./mycapdump -i eth0
 *
 * Options: -i IFACE (default: every interface), -r FILE (a pcap or pcapng
 * file, "-" for stdin), -N NETNS (capture inside the network namespace at this
 * path, e.g. /var/run/netns/NAME), -s SNAPLEN, -p (promiscuous), -c COUNT
 * (end after COUNT packets), -l (line-buffered output, for pipes), -F FILE (a
 * classic BPF program as `tcpdump -dd EXPR` prints it:
 * `tcpdump -dd arp > arp.bpf; mycapdump -F arp.bpf`).
 *
 * A line: seconds.nanoseconds, interface, packet type, captured and wire
 * length, link type, and the VLAN id the kernel stripped, if any:
 *   1764491234.123456789 veth-a0 broadcast caplen 60 len 60 linktype 1
 */
#define _POSIX_C_SOURCE 200809L /* sigaction, getopt */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mycap.h"

/* The session the signal handler ends: mycap_end_loop is safe there (an
 * atomic flag and an eventfd write). */
static mycap_t *volatile session;

struct dump {
    unsigned long long seen;
    unsigned long long count; /* 0: no limit */
};

static void on_signal(int sig) {
    (void)sig;
    mycap_end_loop(session);
}

static const char *pkttype_name(unsigned char t) {
    switch (t) {
    case MYCAP_HOST: return "host";
    case MYCAP_BROADCAST: return "broadcast";
    case MYCAP_MULTICAST: return "multicast";
    case MYCAP_OTHERHOST: return "otherhost";
    case MYCAP_OUTGOING: return "outgoing";
    default: return "other";
    }
}

static void *print_packet(void *user, mycap_header_t *h, unsigned char *packet) {
    struct dump *d = user;
    (void)packet;
    printf("%llu.%09llu %s %s caplen %d len %u linktype %u",
           (unsigned long long)(h->ts_ns / 1000000000ULL),
           (unsigned long long)(h->ts_ns % 1000000000ULL), h->ifname,
           pkttype_name(h->pkttype), h->caplen, (unsigned)h->len, (unsigned)h->linktype);
    if (h->vlan_tpid != 0)
        printf(" vlan %u", (unsigned)(h->vlan_tci & 0x0fff));
    putchar('\n');
    d->seen++;
    if (d->count != 0 && d->seen == d->count)
        mycap_end_loop(session);
    return NULL;
}

static void usage(const char *prog) {
    fprintf(stderr,
            "usage: %s [-i IFACE | -r FILE] [-N NETNS] [-s SNAPLEN] [-p] [-c COUNT] [-l] [-F BPF]\n",
            prog);
    exit(2);
}

/* Reads `tcpdump -dd` output: one "{ code, jt, jf, k }," per line. Returns
 * the number of instructions, or -1 (with a message) on a bad file. */
static int read_bpf(const char *path, mycap_bpf_insn_t *insns, int max) {
    FILE *f = fopen(path, "r");
    char line[256];
    int n = 0;
    if (f == NULL) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        int code, jt, jf;
        long long k;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (n == max || sscanf(line, " { %i , %i , %i , %lli }", &code, &jt, &jf, &k) != 4) {
            fprintf(stderr, "%s: line %d is not a `tcpdump -dd` instruction\n", path, n + 1);
            fclose(f);
            return -1;
        }
        insns[n].code = (uint16_t)code;
        insns[n].jt = (uint8_t)jt;
        insns[n].jf = (uint8_t)jf;
        insns[n].k = (uint32_t)k;
        n++;
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    const char *ifname = NULL, *file = NULL, *netns = NULL, *bpf = NULL;
    int snaplen = 0, promisc = 0, opt;
    struct dump d = {0, 0};
    char errbuf[MYCAP_ERRBUF_SIZE];

    while ((opt = getopt(argc, argv, "i:r:N:s:pc:lF:")) != -1) {
        switch (opt) {
        case 'i': ifname = optarg; break;
        case 'r': file = optarg; break;
        case 'N': netns = optarg; break;
        case 's': snaplen = atoi(optarg); break;
        case 'p': promisc = 1; break;
        case 'c': d.count = strtoull(optarg, NULL, 10); break;
        case 'l': setvbuf(stdout, NULL, _IOLBF, 0); break;
        case 'F': bpf = optarg; break;
        default: usage(argv[0]);
        }
    }
    if (optind != argc || (file != NULL && (ifname != NULL || netns != NULL || bpf != NULL)))
        usage(argv[0]);

    mycap_t *s;
    if (file != NULL) {
        s = mycap_open_file(file, errbuf);
    } else {
        s = mycap_create(ifname, errbuf);
        if (s != NULL && ((snaplen != 0 && mycap_set_snaplen(s, snaplen) != 0) ||
                          (promisc && mycap_set_promisc(s, 1) != 0) ||
                          (netns != NULL && mycap_set_netns(s, netns) != 0) ||
                          mycap_activate(s) != 0)) {
            fprintf(stderr, "mycapdump: %s\n", mycap_geterr(s));
            mycap_close(s);
            return 1;
        }
    }
    if (s == NULL) {
        fprintf(stderr, "mycapdump: %s\n", errbuf);
        return 1;
    }
    if (bpf != NULL) {
        static mycap_bpf_insn_t insns[4096];
        int n = read_bpf(bpf, insns, 4096);
        if (n < 0 || mycap_setfilter_bpf(s, insns, (unsigned)n) != 0) {
            if (n >= 0)
                fprintf(stderr, "mycapdump: %s\n", mycap_geterr(s));
            mycap_close(s);
            return 1;
        }
    }
    session = s;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    fprintf(stderr, "mycapdump: %s, listening on %s\n", mycap_version(),
            file != NULL ? file : ifname != NULL ? ifname : "any");
    int rc = mycap_loop(s, print_packet, &d);
    fflush(stdout);
    if (rc < 0)
        fprintf(stderr, "mycapdump: %s\n", mycap_geterr(s));

    unsigned long long received = 0, dropped = 0;
    if (mycap_stats(s, &received, &dropped) == 0)
        fprintf(stderr, "%llu packets handled, %llu received, %llu dropped\n", d.seen, received,
                dropped);
    else
        fprintf(stderr, "mycapdump: %s\n", mycap_geterr(s));
    session = NULL;
    mycap_close(s);
    return rc < 0 ? 1 : 0;
}
