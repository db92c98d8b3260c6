/*
 * mycap.h: MYCAP for C, the capture library of netraf.
 *
 * Open a session on one interface, on all of them, or on a capture file; run
 * the loop with a handler that gets every packet (a header and the raw
 * bytes); end the loop (it can be run again); close.
 *
 *     char errbuf[MYCAP_ERRBUF_SIZE];
 *     mycap_t *s = mycap_open("eth0", errbuf);      // NULL or "any": all interfaces
 *     if (s == NULL) { fprintf(stderr, "%s\n", errbuf); return 1; }
 *     if (mycap_loop(s, handler, &state) < 0) fprintf(stderr, "%s\n", mycap_geterr(s));
 *     mycap_close(s);
 *
 * Build and link: `cargo build --release -p mycap-capi`, then
 * `cc app.c -Imycap-capi/include -Ltarget/release -lmycap`; programs load
 * the library by its soname, libmycap.so.1 (README: "MYCAP from C"), or link
 * target/release/libmycap.a. Live capture needs root or CAP_NET_RAW.
 *
 * Rules:
 * - Functions that return int return 0 on success and -1 on error (mycap_loop
 *   also 1); mycap_geterr(s) then says why. Functions that open a session
 *   return NULL on error and write the reason into errbuf (MYCAP_ERRBUF_SIZE
 *   bytes, always NUL-terminated; errbuf may be NULL).
 * - A NULL pointer argument is an error, never a crash (mycap_close(NULL)
 *   does nothing).
 * - A session belongs to one thread at a time. The only call that may come
 *   from any other thread, or from a signal handler, is mycap_end_loop.
 * - Inside the handler, only mycap_end_loop and mycap_geterr may be called on
 *   the session being looped; any other call on it returns an error (and
 *   mycap_close does nothing).
 * - The header and the packet bytes are valid only during the handler's call:
 *   copy what you keep. Do not write to the packet bytes.
 * - The handler must return normally: do not longjmp out of it and do not let
 *   a C++ exception leave it (both skip the library's cleanup and are
 *   undefined behaviour).
 *
 * Filters: mycap_setfilter_bpf takes a compiled classic BPF program (the
 * instructions `tcpdump -dd EXPR` prints). A compiler of filter expressions
 * does not exist in netraf yet; mycap_setfilter(s, "udp port 53") will come
 * with it.
 */
#ifndef MYCAP_H
#define MYCAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Size of the buffer that mycap_open, mycap_create and mycap_open_file write
 * their error message into (messages longer than 255 bytes are cut). */
#define MYCAP_ERRBUF_SIZE 256

/* mycap_header_t.pkttype: what the packet was to this host (the kernel's
 * PACKET_* values; other kernel values are passed on as they are). */
#define MYCAP_HOST 0      /* addressed to this host */
#define MYCAP_BROADCAST 1 /* link-layer broadcast */
#define MYCAP_MULTICAST 2 /* link-layer multicast */
#define MYCAP_OTHERHOST 3 /* to another host, seen in promiscuous mode */
#define MYCAP_OUTGOING 4  /* sent by this host */

/* mycap_set_direction */
#define MYCAP_DIRECTION_BOTH 0 /* received and sent packets (the default) */
#define MYCAP_DIRECTION_IN 1   /* only received packets */
#define MYCAP_DIRECTION_OUT 2  /* only sent packets */

/* mycap_set_fanout: how a fanout group spreads packets over its sessions */
#define MYCAP_FANOUT_HASH 0 /* by flow: a flow always goes to the same session */
#define MYCAP_FANOUT_LB 1   /* round robin */
#define MYCAP_FANOUT_CPU 2  /* by the CPU that received the packet */
/* mycap_set_fanout's group: a new group whose id the kernel picks */
#define MYCAP_FANOUT_NEW_GROUP (-1)

/* A capture session (opaque). */
typedef struct mycap_session mycap_t;

/* Everything known about one packet apart from its bytes. */
typedef struct mycap_header_s {
    int caplen;          /* bytes captured: the length of the packet buffer */
    char ifname[16];     /* interface name, NUL-terminated (IFNAMSIZ); for a
                            pcapng file its if_name, cut to 15 bytes */
    unsigned char pkttype;     /* MYCAP_HOST, MYCAP_BROADCAST, ... */
    unsigned char reserved[3]; /* zero */
    uint32_t len;        /* length on the wire (at least caplen) */
    uint32_t ifindex;    /* interface index (files: pcapng interface id, or 0) */
    uint64_t ts_ns;      /* capture time, nanoseconds since the Unix epoch */
    uint16_t linktype;   /* LINKTYPE_* of the bytes (1 Ethernet, 101 raw IP, ...) */
    uint16_t vlan_tci;   /* 802.1Q tag stripped by the kernel: priority, DEI, id */
    uint16_t vlan_tpid;  /* its protocol (0x8100, 0x88a8); 0 when no tag was stripped */
    uint16_t reserved2;  /* zero */
} mycap_header_t;

/* The handler: called once per packet with the user argument given to
 * mycap_loop. Its return value is ignored: call mycap_end_loop to stop. */
typedef void *(*mycap_handler_t)(void *user, mycap_header_t *header, unsigned char *packet);

/* One classic BPF instruction, laid out as Linux's struct sock_filter. */
typedef struct mycap_bpf_insn_s {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
} mycap_bpf_insn_t;

/* The library's version, e.g. "mycap 0.1.0". */
const char *mycap_version(void);

/* Opens a live session on `ifname` (NULL or "any": every interface) with the
 * default settings (snap length 262144, no promiscuous mode, 4 MiB ring).
 * NULL on error, with the reason in errbuf. */
mycap_t *mycap_open(const char *ifname, char *errbuf);

/* Opens a capture file (pcap or pcapng); "-" reads standard input. */
mycap_t *mycap_open_file(const char *path, char *errbuf);

/* Two steps, as pcap_create / pcap_activate: create a session (nothing is
 * opened yet), change its settings, activate it. A setting changed after
 * mycap_activate is an error. */
mycap_t *mycap_create(const char *ifname, char *errbuf);
int mycap_set_snaplen(mycap_t *s, int snaplen);        /* 1 to 16777216 bytes */
int mycap_set_promisc(mycap_t *s, int on);              /* not on "any" */
int mycap_set_ring_size(mycap_t *s, size_t bytes);     /* kernel ring, default 4 MiB */
int mycap_set_timeout_ms(mycap_t *s, int ms);           /* block timeout, default 10 */
int mycap_set_direction(mycap_t *s, int direction);     /* MYCAP_DIRECTION_* */
/* Joins fanout group `group` (0 to 65535), or MYCAP_FANOUT_NEW_GROUP, with a
 * MYCAP_FANOUT_* mode: each packet goes to one session of the group. */
int mycap_set_fanout(mycap_t *s, int group, int mode);
/* Opens the socket inside the network namespace at `path`
 * (e.g. "/var/run/netns/NAME"). */
int mycap_set_netns(mycap_t *s, const char *path);
/* Opens the socket and its ring. On error the session stays created: change
 * a setting and activate again, or close it. */
int mycap_activate(mycap_t *s);

/* The fanout group the active session joined (the kernel's pick for
 * MYCAP_FANOUT_NEW_GROUP), or -1 outside any group. */
int mycap_fanout_group(mycap_t *s);

/* Attaches a classic BPF program of `count` (1 to 4096) instructions to an
 * active live session, replacing the previous one. Non-zero `ret #k` are cut
 * to the snap length. */
int mycap_setfilter_bpf(mycap_t *s, const mycap_bpf_insn_t *insns, unsigned int count);

/* Runs the loop, calling `handler` for every packet; blocks. Returns 0 when
 * mycap_end_loop ended it, 1 at the end of a capture file, -1 on error
 * (mycap_geterr). Packets not yet handled stay for the next mycap_loop. */
int mycap_loop(mycap_t *s, mycap_handler_t handler, void *user);

/* Ends the running loop before its next packet; an idle live loop wakes at
 * once. Called when no loop runs, it ends the next one at its start. Safe
 * from the handler, from any other thread, and from a signal handler (it
 * sets an atomic flag and writes to an eventfd: no lock, no allocation). */
void mycap_end_loop(mycap_t *s);

/* Packets received (that passed the filter) and dropped (ring full) since the
 * session was opened. Both pointers are required. */
int mycap_stats(mycap_t *s, unsigned long long *received, unsigned long long *dropped);

/* The message of the last error on `s` ("" if none). Valid until the next
 * call on `s`. */
const char *mycap_geterr(mycap_t *s);

/* Closes the session: socket closed, ring unmapped, memory freed. */
void mycap_close(mycap_t *s);

#ifdef __cplusplus
}
#endif

#endif /* MYCAP_H */
