/*
 * The kernel's side of the interop benchmark: one small program that is
 * both the reference servers and the client that drives every peer.
 *
 *   peer serve ADDR                 listen on ADDR (an IPv4 or IPv6 literal):
 *                                   5201 read and discard, 5202 send zeros
 *                                   until the client goes, 5203 echo; one
 *                                   thread per port, one connection at a
 *                                   time; prints "ready" once listening
 *   peer send HOST PORT SECONDS     write 64 KiB blocks for SECONDS, FIN, wait
 *                                   for the server's FIN; prints "BYTES SECS"
 *   peer recv HOST PORT SECONDS     read for SECONDS; prints "BYTES SECS"
 *   peer pingpong HOST PORT SECONDS 1 byte there and back, again and again
 *                                   (TCP_NODELAY); prints "COUNT SECS"
 *   peer connect HOST PORT SECONDS  connect, FIN, wait for the server's FIN,
 *                                   close, again and again; prints "COUNT SECS"
 *
 * Built by bench/interop.ts with the system's C compiler.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 65536

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "peer: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Fill a sockaddr from an address literal and port; returns its length. */
static socklen_t address(const char *host, int port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    return sizeof *a4;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    return sizeof *a6;
  }
  fprintf(stderr, "peer: not an address: %s\n", host);
  exit(2);
}

/* ---------------------------------------------------------------- servers */

struct conn {
  int fd;
  int port;
};

static void *serve_conn(void *arg) {
  struct conn *c = arg;
  static char zeros[BLOCK];
  char buf[BLOCK];
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (c->port == 5201) {
    while (read(c->fd, buf, sizeof buf) > 0) {
    }
  } else if (c->port == 5202) {
    while (write(c->fd, zeros, sizeof zeros) > 0) {
    }
  } else {
    ssize_t n;
    while ((n = read(c->fd, buf, sizeof buf)) > 0) {
      for (ssize_t off = 0; off < n;) {
        ssize_t w = write(c->fd, buf + off, n - off);
        if (w <= 0) goto out;
        off += w;
      }
    }
  }
out:
  close(c->fd);
  free(c);
  return NULL;
}

struct listener {
  int fd;
  int port;
};

static void *accept_loop(void *arg) {
  struct listener *l = arg;
  for (;;) {
    int fd = accept(l->fd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE) continue;
      die("accept");
    }
    /* One connection at a time per port, served right here: the client
     * drives one connection at a time, and a thread per connection would
     * cost more than the whole connect+close being measured. */
    struct conn *c = malloc(sizeof *c);
    c->fd = fd;
    c->port = l->port;
    serve_conn(c);
  }
  return NULL;
}

static int serve(const char *host) {
  static struct listener ls[3];
  pthread_t t[3];
  for (int i = 0; i < 3; i++) {
    struct sockaddr_storage ss;
    socklen_t len = address(host, 5201 + i, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) die("bind");
    if (listen(fd, 4096) < 0) die("listen");
    ls[i].fd = fd;
    ls[i].port = 5201 + i;
    pthread_create(&t[i], NULL, accept_loop, &ls[i]);
  }
  printf("ready\n");
  fflush(stdout);
  /* Until the parent closes our standard input. */
  char b[64];
  while (read(0, b, sizeof b) > 0) {
  }
  return 0;
}

/* ----------------------------------------------------------------- client */

static int dial(const char *host, int port, int nodelay) {
  struct sockaddr_storage ss;
  socklen_t len = address(host, port, &ss);
  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (nodelay) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (connect(fd, (struct sockaddr *)&ss, len) < 0) die("connect");
  return fd;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
  if (argc != 5) {
    fprintf(stderr, "usage: peer serve ADDR | peer (send|recv|pingpong|connect) HOST PORT SECONDS\n");
    return 2;
  }
  const char *mode = argv[1], *host = argv[2];
  int port = atoi(argv[3]);
  double secs = atof(argv[4]);
  static char buf[BLOCK];
  double t0 = now_s(), until = t0 + secs;
  if (strcmp(mode, "send") == 0) {
    int fd = dial(host, port, 0);
    long long bytes = 0;
    while (now_s() < until) {
      ssize_t w = write(fd, buf, sizeof buf);
      if (w <= 0) die("write");
      bytes += w;
    }
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof buf) > 0) {
    }
    printf("%lld %.6f\n", bytes, now_s() - t0);
    close(fd);
  } else if (strcmp(mode, "recv") == 0) {
    int fd = dial(host, port, 0);
    long long bytes = 0;
    while (now_s() < until) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) die("read");
      bytes += n;
    }
    printf("%lld %.6f\n", bytes, now_s() - t0);
    close(fd);
  } else if (strcmp(mode, "pingpong") == 0) {
    int fd = dial(host, port, 1);
    long long count = 0;
    char c = 'x';
    while (now_s() < until) {
      if (write(fd, &c, 1) != 1) die("write");
      if (read(fd, &c, 1) != 1) die("read");
      count++;
    }
    printf("%lld %.6f\n", count, now_s() - t0);
    close(fd);
  } else if (strcmp(mode, "connect") == 0) {
    long long count = 0;
    while (now_s() < until) {
      int fd = dial(host, port, 0);
      shutdown(fd, SHUT_WR);
      while (read(fd, buf, sizeof buf) > 0) {
      }
      close(fd);
      count++;
    }
    printf("%lld %.6f\n", count, now_s() - t0);
  } else {
    fprintf(stderr, "peer: unknown mode %s\n", mode);
    return 2;
  }
  return 0;
}
