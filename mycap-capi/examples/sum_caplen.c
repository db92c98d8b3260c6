/*
 * sum_caplen: replays a capture file through a C handler that counts packets
 * and sums their captured lengths. bench/capi.sh times it against
 * sum_caplen.rs, the same over mycap-core from Rust.
 *
 *   cc -O2 mycap-capi/examples/sum_caplen.c -Imycap-capi/include -Ltarget/release -lmycap
 */
#include <stdio.h>

#include "mycap.h"

struct sum {
    unsigned long long packets;
    unsigned long long bytes;
};

static void *add(void *user, mycap_header_t *h, unsigned char *packet) {
    struct sum *s = user;
    (void)packet;
    s->packets++;
    s->bytes += (unsigned long long)h->caplen;
    return NULL;
}

int main(int argc, char **argv) {
    char errbuf[MYCAP_ERRBUF_SIZE];
    struct sum sum = {0, 0};
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    mycap_t *s = mycap_open_file(argv[1], errbuf);
    if (s == NULL) {
        fprintf(stderr, "sum_caplen: %s\n", errbuf);
        return 1;
    }
    int rc = mycap_loop(s, add, &sum);
    if (rc < 0)
        fprintf(stderr, "sum_caplen: %s\n", mycap_geterr(s));
    mycap_close(s);
    printf("packets %llu bytes %llu\n", sum.packets, sum.bytes);
    return rc < 0 ? 1 : 0;
}
