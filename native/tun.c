/*
 * synack_tun: the small native helper behind src/link/tun/.
 *
 * Node cannot issue the TUNSETIFF ioctl, and reading a TUN descriptor through
 * the thread pool is slow (one packet per round trip to a worker thread).
 * This addon does the three things JavaScript cannot do well:
 *
 *   - open /dev/net/tun and attach it to an interface (TUNSETIFF), and set
 *     the interface's MTU and transmit queue length (SIOCSIFMTU, SIOCSIFTXQLEN);
 *   - watch the descriptor from the event loop (uv_poll) and, each time it is
 *     readable, read up to a batch of packets into one reused buffer before
 *     calling JavaScript once with the count;
 *   - write a batch of packets with one call from JavaScript (a TUN write
 *     carries exactly one packet, so a batch is a loop of write(2), never
 *     one writev(2) for several: the driver would merge them into one).
 *
 * With IFF_VNET_HDR every packet read or written starts with a struct
 * virtio_net_hdr (10 bytes). The device is opened with TUN_F_CSUM only: the
 * kernel may then hand over TCP and UDP packets whose checksum it has not
 * computed (VIRTIO_NET_HDR_F_NEEDS_CSUM, the field holding the
 * pseudo-header sum) and takes such packets from us, as it does from a
 * NIC with checksum offload. Opened with TUN_F_TSO4 | TUN_F_TSO6 as well,
 * a packet read may be a TCP super-segment (its header says so, with the
 * size to cut it into), which JavaScript cuts. A packet written may be a
 * TCP super-segment with
 * a GSO size (VIRTIO_NET_HDR_GSO_TCPV4/TCPV6): the kernel cuts it into
 * segments of that many payload bytes if it leaves the host, and hands it
 * whole to a local socket otherwise, as with a NIC's TSO. The header of a
 * written packet is built here (writev of header and packet, one packet):
 * NEEDS_CSUM for a TCP segment JavaScript marked as carrying only the
 * pseudo-header sum, the GSO fields for a super-segment, no flags
 * otherwise.
 *
 * Errors are thrown as Error objects carrying `code` (EPERM, ENOENT, ...),
 * `errno` and `syscall`, like Node's own.
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE

#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/uio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define CHECK(env, call)                                                                           \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error((env), "ERR_SYNACK_TUN_NAPI", "synack_tun: N-API call failed: " #call);   \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

static const char *errno_code(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case ENOSPC: return "ENOSPC";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    case EBADFD: return "EBADFD";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return "EUNKNOWN";
  }
}

/* Throws an Error like Node's system errors: message "syscall what: strerror", plus code/errno/syscall. */
static void throw_errno(napi_env env, int err, const char *syscall, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s: %s", syscall, what, strerror(err));
  napi_value code, message, error, errno_value, syscall_value;
  if (napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code) != napi_ok) return;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok) return;
  if (napi_create_error(env, code, message, &error) != napi_ok) return;
  if (napi_create_int32(env, -err, &errno_value) == napi_ok) napi_set_named_property(env, error, "errno", errno_value);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value) == napi_ok) {
    napi_set_named_property(env, error, "syscall", syscall_value);
  }
  napi_throw(env, error);
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_COUNT", "synack_tun: too few arguments");
    return -1;
  }
  return 0;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "synack_tun: expected a number");
    return -1;
  }
  return 0;
}

/* Reads an interface name (at most IFNAMSIZ - 1 bytes) into out[IFNAMSIZ]. */
static int get_ifname(napi_env env, napi_value v, char *out) {
  size_t len = 0;
  memset(out, 0, IFNAMSIZ);
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "synack_tun: interface name must be a string");
    return -1;
  }
  if (len >= IFNAMSIZ) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "synack_tun: interface name longer than 15 bytes");
    return -1;
  }
  if (napi_get_value_string_utf8(env, v, out, IFNAMSIZ, &len) != napi_ok) return -1;
  return 0;
}

static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  void *ptr = NULL;
  size_t len = 0;
  if (napi_get_typedarray_info(env, v, &type, &len, &ptr, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "synack_tun: a packet must be a Uint8Array");
    return -1;
  }
  *data = ptr;
  *length = len;
  return 0;
}

/*
 * open(path: string, name: string, multiQueue: boolean, vnetHdr: boolean, tso: boolean):
 * [fd, name, tso]. With vnetHdr the kernel may hand over packets with
 * checksums left undone (TUN_F_CSUM) and, with tso, TCP super-segments
 * (TUN_F_TSO4 | TUN_F_TSO6); the third element says whether it accepted
 * the latter (a kernel that refuses them still gets TUN_F_CSUM).
 */
static napi_value tun_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (get_args(env, info, 5, argv) != 0) return NULL;
  char path[256];
  size_t path_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "synack_tun: path must be a string");
    return NULL;
  }
  if (path_len >= sizeof path - 1) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "synack_tun: path too long");
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (get_ifname(env, argv[1], ifr.ifr_name) != 0) return NULL;
  bool multi = false, vnet = false, tso = false;
  CHECK(env, napi_get_value_bool(env, argv[2], &multi));
  CHECK(env, napi_get_value_bool(env, argv[3], &vnet));
  CHECK(env, napi_get_value_bool(env, argv[4], &tso));
  /* IFF_TUN: bare IP packets; IFF_NO_PI: no 4-byte packet-information prefix. */
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0) | (vnet ? IFF_VNET_HDR : 0);

  int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "open", path);
    return NULL;
  }
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "ioctl", "TUNSETIFF");
    return NULL;
  }
  bool tso_on = vnet && tso && ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) == 0;
  if (vnet && !tso_on && ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "ioctl", "TUNSETOFFLOAD");
    return NULL;
  }
  napi_value result, fd_value, name_value, tso_value;
  CHECK(env, napi_create_array_with_length(env, 3, &result));
  CHECK(env, napi_create_int32(env, fd, &fd_value));
  CHECK(env, napi_create_string_utf8(env, ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ), &name_value));
  CHECK(env, napi_get_boolean(env, tso_on, &tso_value));
  CHECK(env, napi_set_element(env, result, 0, fd_value));
  CHECK(env, napi_set_element(env, result, 1, name_value));
  CHECK(env, napi_set_element(env, result, 2, tso_value));
  return result;
}

/* An interface ioctl through a throwaway datagram socket (as ip(8) and ifconfig do). */
static int if_ioctl(napi_env env, unsigned long request, struct ifreq *ifr, const char *what) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    throw_errno(env, errno, "socket", "AF_INET");
    return -1;
  }
  int r = ioctl(s, request, ifr);
  int err = errno;
  close(s);
  if (r < 0) {
    throw_errno(env, err, "ioctl", what);
    return -1;
  }
  return 0;
}

/* mtu(name: string, set: number): number — sets the MTU when set > 0, returns the MTU now in force. */
static napi_value tun_mtu(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv) != 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (get_ifname(env, argv[0], ifr.ifr_name) != 0) return NULL;
  int32_t set = 0;
  if (get_int(env, argv[1], &set) != 0) return NULL;
  if (set > 0) {
    ifr.ifr_mtu = set;
    if (if_ioctl(env, SIOCSIFMTU, &ifr, "SIOCSIFMTU") != 0) return NULL;
  }
  if (if_ioctl(env, SIOCGIFMTU, &ifr, "SIOCGIFMTU") != 0) return NULL;
  napi_value out;
  CHECK(env, napi_create_int32(env, ifr.ifr_mtu, &out));
  return out;
}

/* txQueueLen(name: string, len: number): undefined */
static napi_value tun_txqlen(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv) != 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (get_ifname(env, argv[0], ifr.ifr_name) != 0) return NULL;
  int32_t len = 0;
  if (get_int(env, argv[1], &len) != 0) return NULL;
  ifr.ifr_qlen = len;
  if (if_ioctl(env, SIOCSIFTXQLEN, &ifr, "SIOCSIFTXQLEN") != 0) return NULL;
  return NULL;
}

/* close(fd): undefined */
static napi_value tun_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) != 0) return NULL;
  int32_t fd = -1;
  if (get_int(env, argv[0], &fd) != 0) return NULL;
  if (close(fd) < 0 && errno != EINTR) throw_errno(env, errno, "close", "TUN descriptor");
  return NULL;
}

static int write_one(int fd, const uint8_t *data, size_t len) {
  for (;;) {
    ssize_t n = write(fd, data, len);
    if (n >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

/*
 * One packet behind its virtio_net_hdr. `partial`: a TCP segment whose
 * checksum field holds only the pseudo-header sum; the kernel is told where
 * the checksum starts and lies (NEEDS_CSUM) and completes it if the packet
 * ever leaves the host, as for a NIC with checksum offload. `gso_size` > 0
 * (with `partial`): a TCP super-segment to be cut into segments of that
 * many payload bytes (hdr_len: its IP and TCP headers).
 */
static int write_vnet(int fd, const uint8_t *data, size_t len, int partial, uint16_t gso_size) {
  struct virtio_net_hdr h;
  memset(&h, 0, sizeof h);
  if (partial && len >= 1) {
    size_t l3 = 0;
    uint8_t proto = 0;
    int v4 = (data[0] >> 4) == 4;
    if (v4 && len >= 20) {
      l3 = (size_t)(data[0] & 0x0f) * 4;
      proto = data[9];
    } else if ((data[0] >> 4) == 6 && len >= 40) {
      l3 = 40;
      proto = data[6];
    }
    if (proto == 6 && l3 >= 20 && len >= l3 + 20) {
      h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
      h.csum_start = (uint16_t)l3;
      h.csum_offset = 16;
      size_t l4 = (size_t)(data[l3 + 12] >> 4) * 4;
      if (gso_size > 0 && l4 >= 20 && len > l3 + l4) {
        h.gso_type = v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
        h.gso_size = gso_size;
        h.hdr_len = (uint16_t)(l3 + l4);
      }
    }
  }
  struct iovec iov[2] = {{&h, sizeof h}, {(void *)data, len}};
  for (;;) {
    ssize_t n = writev(fd, iov, 2);
    if (n >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

/*
 * write(fd, packet, mode, gsoSize): 0, or the errno of a failed write. mode
 * 0: a device without virtio headers; 1: with one, no offload; 2: with one,
 * the TCP checksum partial, and a super-segment if gsoSize > 0 (see
 * write_vnet).
 */
static napi_value tun_write(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (get_args(env, info, 4, argv) != 0) return NULL;
  int32_t fd = -1, mode = 0, gso = 0;
  if (get_int(env, argv[0], &fd) != 0) return NULL;
  if (get_int(env, argv[2], &mode) != 0) return NULL;
  if (get_int(env, argv[3], &gso) != 0) return NULL;
  uint8_t *data;
  size_t len;
  if (get_bytes(env, argv[1], &data, &len) != 0) return NULL;
  napi_value out;
  int err = mode == 0 ? write_one(fd, data, len) : write_vnet(fd, data, len, mode == 2, gso > 0 && gso <= 0xffff ? (uint16_t)gso : 0);
  CHECK(env, napi_create_int32(env, err, &out));
  return out;
}

/*
 * A per-packet argument of writeBatch: null (*out stays NULL), or a typed
 * array of `type` with at least `want` entries. 0, or -1 with a TypeError
 * thrown (`message`).
 */
static int get_per_packet(napi_env env, napi_value value, napi_typedarray_type type, size_t want, void **out, const char *message) {
  napi_valuetype kind;
  if (napi_typeof(env, value, &kind) != napi_ok) {
    napi_throw_error(env, "ERR_SYNACK_TUN_NAPI", "synack_tun: N-API call failed: napi_typeof");
    return -1;
  }
  if (kind == napi_null) return 0;
  napi_typedarray_type got;
  size_t len = 0;
  if (napi_get_typedarray_info(env, value, &got, &len, out, NULL, NULL) != napi_ok || got != type || len < want) {
    *out = NULL;
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return -1;
  }
  return 0;
}

/*
 * writeBatch(fd, packets: Uint8Array[], count, status: Int32Array(3), modes: Uint8Array | null,
 * gso: Uint16Array | null): number of packets written. modes[i] as write()'s mode for packet
 * i; null: mode 0 for all. gso[i] as write()'s gsoSize; null: 0 for all.
 * status[0] receives how many writes failed, status[1] the errno of the last
 * failure, status[2] the bytes of the packets written.
 * A failed packet is skipped, not retried: the kernel refused it (EINVAL for a
 * packet that is neither IPv4 nor IPv6, EIO while the link is down, ...).
 */
static napi_value tun_write_batch(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (get_args(env, info, 6, argv) != 0) return NULL;
  int32_t fd = -1, count = 0;
  if (get_int(env, argv[0], &fd) != 0) return NULL;
  if (get_int(env, argv[2], &count) != 0) return NULL;
  napi_typedarray_type type;
  void *status_ptr = NULL;
  size_t status_len = 0;
  if (napi_get_typedarray_info(env, argv[3], &type, &status_len, &status_ptr, NULL, NULL) != napi_ok ||
      type != napi_int32_array || status_len < 3) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "synack_tun: status must be an Int32Array(3)");
    return NULL;
  }
  int32_t *status = status_ptr;
  size_t want = (size_t)(count > 0 ? count : 0);
  void *modes_ptr = NULL, *gso_ptr = NULL;
  if (get_per_packet(env, argv[4], napi_uint8_array, want, &modes_ptr, "synack_tun: modes must be null or a Uint8Array of count entries") != 0) return NULL;
  if (get_per_packet(env, argv[5], napi_uint16_array, want, &gso_ptr, "synack_tun: gso must be null or a Uint16Array of count entries") != 0) return NULL;
  uint8_t *modes = modes_ptr;
  uint16_t *gso = gso_ptr;
  int32_t written = 0, failed = 0, last = 0, bytes = 0;
  for (int32_t i = 0; i < count; i++) {
    napi_value item;
    CHECK(env, napi_get_element(env, argv[1], (uint32_t)i, &item));
    uint8_t *data;
    size_t len;
    if (get_bytes(env, item, &data, &len) != 0) return NULL;
    int mode = modes == NULL ? 0 : modes[i];
    int err = mode == 0 ? write_one(fd, data, len) : write_vnet(fd, data, len, mode == 2, gso == NULL ? 0 : gso[i]);
    if (err == 0) {
      written++;
      bytes += (int32_t)len;
    } else {
      failed++;
      last = err;
    }
  }
  status[0] = failed;
  status[1] = last;
  status[2] = bytes;
  napi_value out;
  CHECK(env, napi_create_int32(env, written, &out));
  return out;
}

/*
 * The reader: a uv_poll on the descriptor. Each readable event reads up to
 * max_batch packets back to back into `buf` (each read offered max_packet
 * bytes, so no packet is ever cut short), stores their lengths in `lengths`
 * and calls the JavaScript callback once: callback(count, errno).
 */
typedef struct reader {
  uv_poll_t poll;
  napi_env env;
  int fd;
  uint8_t *buf;
  size_t buf_len;
  uint32_t *lengths;
  uint32_t max_batch;
  uint32_t max_packet;
  napi_ref buf_ref;
  napi_ref lengths_ref;
  napi_ref callback_ref;
  napi_async_context async_context;
  int stopped;
} reader;

static void reader_closed(uv_handle_t *handle) {
  reader *r = handle->data;
  napi_delete_reference(r->env, r->buf_ref);
  napi_delete_reference(r->env, r->lengths_ref);
  napi_delete_reference(r->env, r->callback_ref);
  napi_async_destroy(r->env, r->async_context);
  free(r);
}

static void reader_stop(reader *r) {
  if (r->stopped) return;
  r->stopped = 1;
  uv_poll_stop(&r->poll);
  uv_close((uv_handle_t *)&r->poll, reader_closed);
}

static void reader_freed(uv_handle_t *handle) {
  free(handle->data);
}

/*
 * The environment is going away (a worker thread ending) while the reader
 * still runs: its references die with it, so only the handle is closed.
 */
static void reader_env_cleanup(void *arg) {
  reader *r = arg;
  if (r->stopped) return;
  r->stopped = 1;
  uv_poll_stop(&r->poll);
  uv_close((uv_handle_t *)&r->poll, reader_freed);
}

static void reader_call(reader *r, uint32_t count, int err) {
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, recv, args[2], result;
  if (napi_get_reference_value(env, r->callback_ref, &callback) == napi_ok && callback != NULL &&
      napi_get_global(env, &recv) == napi_ok && napi_create_uint32(env, count, &args[0]) == napi_ok &&
      napi_create_int32(env, err, &args[1]) == napi_ok) {
    napi_status st = napi_make_callback(env, r->async_context, recv, callback, 2, args, &result);
    if (st == napi_pending_exception) {
      napi_value exception;
      if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void reader_on_poll(uv_poll_t *handle, int status, int events) {
  (void)events;
  reader *r = handle->data;
  if (r->stopped) return;
  if (status < 0) {
    /* libuv reports errors as negative errno values on Unix. */
    uv_poll_stop(&r->poll);
    reader_call(r, 0, -status);
    return;
  }
  uint32_t count = 0;
  size_t off = 0;
  int err = 0;
  while (count < r->max_batch && off + r->max_packet <= r->buf_len) {
    ssize_t n = read(r->fd, r->buf + off, r->max_packet);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    r->lengths[count++] = (uint32_t)n;
    off += (size_t)n;
  }
  if (err != 0) uv_poll_stop(&r->poll); /* a persistent error would make a level-triggered poll spin */
  if (count > 0 || err != 0) reader_call(r, count, err);
}

/* startReader(fd, buf: ArrayBuffer, lengths: Uint32Array, maxPacket, callback): External */
static napi_value tun_start_reader(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (get_args(env, info, 5, argv) != 0) return NULL;
  int32_t fd = -1, max_packet = 0;
  if (get_int(env, argv[0], &fd) != 0) return NULL;
  if (get_int(env, argv[3], &max_packet) != 0) return NULL;
  void *buf = NULL;
  size_t buf_len = 0;
  if (napi_get_arraybuffer_info(env, argv[1], &buf, &buf_len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "synack_tun: the read buffer must be an ArrayBuffer");
    return NULL;
  }
  napi_typedarray_type type;
  void *lengths = NULL;
  size_t lengths_len = 0;
  if (napi_get_typedarray_info(env, argv[2], &type, &lengths_len, &lengths, NULL, NULL) != napi_ok ||
      type != napi_uint32_array || lengths_len == 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "synack_tun: lengths must be a non-empty Uint32Array");
    return NULL;
  }
  napi_valuetype cb_type;
  CHECK(env, napi_typeof(env, argv[4], &cb_type));
  if (cb_type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "synack_tun: callback must be a function");
    return NULL;
  }
  if (max_packet <= 0 || (size_t)max_packet > buf_len) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "synack_tun: maxPacket must be positive and fit the buffer");
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));

  reader *r = calloc(1, sizeof *r);
  if (r == NULL) {
    throw_errno(env, ENOMEM, "calloc", "reader");
    return NULL;
  }
  r->env = env;
  r->fd = fd;
  r->buf = buf;
  r->buf_len = buf_len;
  r->lengths = lengths;
  r->max_batch = (uint32_t)lengths_len;
  r->max_packet = (uint32_t)max_packet;
  napi_value resource_name;
  if (napi_create_reference(env, argv[1], 1, &r->buf_ref) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &r->lengths_ref) != napi_ok ||
      napi_create_reference(env, argv[4], 1, &r->callback_ref) != napi_ok ||
      napi_create_string_utf8(env, "SynackTunRead", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, NULL, resource_name, &r->async_context) != napi_ok) {
    free(r); /* references leak only on this N-API failure path */
    napi_throw_error(env, "ERR_SYNACK_TUN_NAPI", "synack_tun: could not set up the reader");
    return NULL;
  }
  int uerr = uv_poll_init(loop, &r->poll, fd);
  if (uerr == 0) {
    r->poll.data = r;
    uerr = uv_poll_start(&r->poll, UV_READABLE, reader_on_poll);
    if (uerr != 0) {
      r->stopped = 1;
      uv_close((uv_handle_t *)&r->poll, reader_closed);
    }
  } else {
    napi_delete_reference(env, r->buf_ref);
    napi_delete_reference(env, r->lengths_ref);
    napi_delete_reference(env, r->callback_ref);
    napi_async_destroy(env, r->async_context);
    free(r);
  }
  if (uerr != 0) {
    throw_errno(env, -uerr, "uv_poll_start", "TUN descriptor");
    return NULL;
  }
  napi_add_env_cleanup_hook(env, reader_env_cleanup, r);
  napi_value handle;
  CHECK(env, napi_create_external(env, r, NULL, NULL, &handle));
  return handle;
}

static reader *get_reader(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "synack_tun: not a reader handle");
    return NULL;
  }
  return p;
}

/* stopReader(handle): stops polling; the handle must not be used again. Safe inside the callback. */
static napi_value tun_stop_reader(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) != 0) return NULL;
  reader *r = get_reader(env, argv[0]);
  if (r == NULL || r->stopped) return NULL;
  napi_remove_env_cleanup_hook(env, reader_env_cleanup, r);
  reader_stop(r);
  return NULL;
}

/* refReader(handle, ref: boolean): whether the reader keeps the event loop alive. */
static napi_value tun_ref_reader(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv) != 0) return NULL;
  reader *r = get_reader(env, argv[0]);
  if (r == NULL || r->stopped) return NULL;
  bool ref = true;
  CHECK(env, napi_get_value_bool(env, argv[1], &ref));
  if (ref) uv_ref((uv_handle_t *)&r->poll);
  else uv_unref((uv_handle_t *)&r->poll);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"open", NULL, tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mtu", NULL, tun_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"txQueueLen", NULL, tun_txqlen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, tun_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"write", NULL, tun_write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeBatch", NULL, tun_write_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"startReader", NULL, tun_start_reader, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopReader", NULL, tun_stop_reader, NULL, NULL, NULL, napi_enumerable, NULL},
      {"refReader", NULL, tun_ref_reader, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
