/*
 * The lwIP peer of the interop benchmark: lwIP (Debian's liblwip-dev) on a
 * TAP device, serving the three ports the benchmark's client drives: 5201
 * read and discard, 5202 send zeros until the client goes, 5203 echo, one
 * connection at a time per port. Built by bench/interop.ts when liblwip-dev
 * is installed:
 *
 *   cc -O2 -pthread -I/usr/include/lwip -o lwip-peer lwip-peer.c -llwip
 *
 * Usage: lwip-peer IFNAME ADDRESS. lwIP's tapif driver creates the TAP
 * interface IFNAME (PRECONFIGURED_TAPIF: it configures nothing itself);
 * then it prints "ready" and serves until its standard input ends. The
 * kernel's side (address, link up) is the caller's to configure.
 *
 * The packaged library allocates its packet buffers with malloc (its
 * MEM_LIBC_MALLOC build) but writes frames of up to 1536 bytes into
 * buffers sized for less, which corrupts the heap at the first full-size
 * frame: every allocation here is at least 2 KiB, which hides that.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

extern void *__libc_malloc(size_t n);
void *malloc(size_t n) { return __libc_malloc(n < 2048 ? 2048 : n); }

#define BLOCK 65536

static struct netif tap;

static void ready_cb(void *arg) { sys_sem_signal((sys_sem_t *)arg); }

static void serve_conn(int fd, int port) {
  static char zeros[BLOCK];
  static __thread char buf[BLOCK];
  if (port == 5201) {
    while (lwip_read(fd, buf, sizeof buf) > 0) {
    }
  } else if (port == 5202) {
    while (lwip_write(fd, zeros, sizeof zeros) > 0) {
    }
  } else {
    int one = 1;
    lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ssize_t n;
    while ((n = lwip_read(fd, buf, sizeof buf)) > 0) {
      for (ssize_t off = 0; off < n;) {
        ssize_t w = lwip_write(fd, buf + off, n - off);
        if (w <= 0) goto out;
        off += w;
      }
    }
  }
out:
  lwip_close(fd);
}

static void *listener(void *arg) {
  int port = (int)(long)arg;
  int s = lwip_socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) {
    fprintf(stderr, "lwip-peer: socket failed\n");
    exit(1);
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (lwip_bind(s, (struct sockaddr *)&a, sizeof a) < 0 || lwip_listen(s, 16) < 0) {
    fprintf(stderr, "lwip-peer: cannot listen on %d\n", port);
    exit(1);
  }
  for (;;) {
    int fd = lwip_accept(s, NULL, NULL);
    if (fd >= 0) serve_conn(fd, port);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: lwip-peer IFNAME ADDRESS\n");
    return 2;
  }
  setenv("PRECONFIGURED_TAPIF", argv[1], 1);
  sys_sem_t started;
  sys_sem_new(&started, 0);
  tcpip_init(ready_cb, &started);
  sys_sem_wait(&started);

  ip4_addr_t addr, mask, gw;
  if (!ip4addr_aton(argv[2], &addr)) {
    fprintf(stderr, "lwip-peer: not an address: %s\n", argv[2]);
    return 2;
  }
  IP4_ADDR(&mask, 255, 255, 255, 0);
  ip4_addr_set_zero(&gw);
  LOCK_TCPIP_CORE();
  netif_add(&tap, &addr, &mask, &gw, NULL, tapif_init, tcpip_input);
  netif_set_default(&tap);
  netif_set_up(&tap);
  netif_set_link_up(&tap);
  UNLOCK_TCPIP_CORE();

  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, listener, (void *)(long)(5201 + i));
  printf("ready\n");
  fflush(stdout);
  char b[64];
  while (read(0, b, sizeof b) > 0) {
  }
  return 0;
}
