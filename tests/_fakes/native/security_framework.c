/*
 * Stand-in for macOS Security.framework's SecKeychain generic-password API (and CFRelease),
 * so lib/storage/macos_keychain.ts runs its real Deno.dlopen code on Linux (SPEC §7). It exports
 * exactly Apple's six functions with Apple's signatures, status codes and ownership rules, and
 * nothing else: tests observe it only through files named by environment variables.
 *
 *   PUP_STANDIN_STORE       the keychain: one item a line, `hex(service) hex(account) hex(password)`;
 *                           read at every call (missing = empty); every mutation rewrites it
 *                           through `<store>.tmp` and a rename (no fsync: it models a killed process, not a power cut). Calls hold flock(`<store>.lock`).
 *   PUP_STANDIN_LOG         optional: one line a call, `<fn> <account>` (never a password);
 *                           `UNEXPECTED <fn> <why>` for a call Apple would reject or crash on;
 *                           `LEAK <n>` at exit when n password buffers or item refs are unfreed.
 *   PUP_STANDIN_FAIL        `<fn>=<status>[,...]`: that function returns that status, doing nothing.
 *   PUP_STANDIN_ABORT_AT    n: abort() at this process's n-th mutating call (Add, Modify, Delete),
 *                           before it changes anything. Counted per process.
 *   PUP_STANDIN_ABORT_AFTER n: abort() right after the n-th mutating call is committed.
 *
 * Misuse that returns errSecParam (-50) and logs UNEXPECTED: a non-NULL keychain, a non-NULL
 * attribute list, a name length that is not strlen(name), a NULL name or item, a service other
 * than "pup". Memory misuse (unknown or released item ref, password data freed twice or never
 * returned by Find) is logged as UNEXPECTED and then abort()s, as it would crash on macOS.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

typedef int32_t OSStatus;
typedef uint32_t UInt32;
typedef const void *CFTypeRef;
typedef struct StandinItem *SecKeychainItemRef;
typedef struct OpaqueSecKeychainRef *SecKeychainRef;
typedef struct SecKeychainAttributeList SecKeychainAttributeList;

enum {
  errSecSuccess = 0,
  errSecParam = -50,
  errSecItemNotFound = -25300,
  errSecDuplicateItem = -25299,
  errSecIO = -36,
};

#define ITEM_MAGIC 0x50555049u /* "PUPI" */

struct StandinItem {
  uint32_t magic;
  int refcount;
  char account[256];
};

/* Every buffer or item handed to the caller, until it is given back. */
struct Allocation {
  void *ptr;
  int is_item;
  char account[256];
  struct Allocation *next;
};
static struct Allocation *outstanding;
static long mutating_calls;

struct Entry {
  char *service, *account, *password;
  size_t service_len, account_len, password_len;
};
struct Store {
  struct Entry *items;
  size_t count;
};

static void log_line(const char *fn, const char *detail) {
  const char *path = getenv("PUP_STANDIN_LOG");
  if (!path || !*path) return;
  char line[600];
  int n = snprintf(line, sizeof line, "%s %s\n", fn, detail);
  if (n < 0) return;
  if ((size_t)n >= sizeof line) n = sizeof line - 1;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) return;
  if (write(fd, line, (size_t)n) < 0) { /* nothing to do: the log is best effort */ }
  close(fd);
}

static OSStatus unexpected(const char *fn, const char *why) {
  char detail[300];
  snprintf(detail, sizeof detail, "%s %s", fn, why);
  log_line("UNEXPECTED", detail);
  return errSecParam;
}

static void misuse(const char *fn, const char *why) {
  unexpected(fn, why);
  abort();
}

/* The status PUP_STANDIN_FAIL assigns to `fn`, or 0. */
static OSStatus injected(const char *fn) {
  const char *spec = getenv("PUP_STANDIN_FAIL");
  size_t len = strlen(fn);
  for (const char *p = spec; p && *p;) {
    if (strncmp(p, fn, len) == 0 && p[len] == '=') return (OSStatus)strtol(p + len + 1, NULL, 10);
    p = strchr(p, ',');
    if (p) p++;
  }
  return 0;
}

static long env_long(const char *name) {
  const char *v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : 0;
}

static int valid_name(const char *fn, const char *what, UInt32 len, const char *name) {
  char why[80];
  if (!name) {
    snprintf(why, sizeof why, "NULL %s", what);
  } else if (strlen(name) != len) {
    snprintf(why, sizeof why, "%s length %u is not strlen %zu", what, len, strlen(name));
  } else if (len == 0 || len >= 256) {
    snprintf(why, sizeof why, "%s length %u out of range", what, len);
  } else {
    return 1;
  }
  unexpected(fn, why);
  return 0;
}

static int valid_names(const char *fn, UInt32 slen, const char *s, UInt32 alen, const char *a) {
  if (!valid_name(fn, "service", slen, s) || !valid_name(fn, "account", alen, a)) return 0;
  if (strcmp(s, "pup") != 0) {
    unexpected(fn, "service is not pup");
    return 0;
  }
  return 1;
}

static void track(void *ptr, int is_item, const char *account) {
  struct Allocation *a = calloc(1, sizeof *a);
  if (!a) abort();
  a->ptr = ptr;
  a->is_item = is_item;
  snprintf(a->account, sizeof a->account, "%s", account);
  a->next = outstanding;
  outstanding = a;
}

/* Removes `ptr` from the outstanding list; 0 when it was not there with that kind. */
static int untrack(void *ptr, int is_item, char *account_out) {
  for (struct Allocation **p = &outstanding; *p; p = &(*p)->next) {
    if ((*p)->ptr == ptr && (*p)->is_item == is_item) {
      struct Allocation *a = *p;
      memcpy(account_out, a->account, sizeof a->account);
      *p = a->next;
      free(a);
      return 1;
    }
  }
  return 0;
}

static struct StandinItem *live_item(void *ptr) {
  for (struct Allocation *a = outstanding; a; a = a->next) {
    if (a->ptr == ptr && a->is_item) return ptr;
  }
  return NULL;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes the hex run at *cursor up to a space or newline into a new buffer. */
static char *unhex(char **cursor, size_t *len_out) {
  char *p = *cursor;
  size_t n = strcspn(p, " \n");
  if (n % 2) return NULL;
  char *out = malloc(n / 2 + 1);
  if (!out) abort();
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      free(out);
      return NULL;
    }
    out[i] = (char)(hi * 16 + lo);
  }
  out[n / 2] = '\0';
  *len_out = n / 2;
  *cursor = p + n + (p[n] == ' ' || p[n] == '\n');
  return out;
}

static void store_free(struct Store *s) {
  for (size_t i = 0; i < s->count; i++) {
    free(s->items[i].service);
    free(s->items[i].account);
    free(s->items[i].password);
  }
  free(s->items);
  s->items = NULL;
  s->count = 0;
}

/* Reads the store file; 0 on success, -1 when it cannot be read or parsed. */
static int store_load(const char *path, struct Store *s) {
  s->items = NULL;
  s->count = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  char *text = NULL;
  size_t cap = 0, len = 0;
  for (;;) {
    if (len + 65536 + 1 > cap) {
      cap = (len + 65536 + 1) * 2;
      text = realloc(text, cap);
      if (!text) abort();
    }
    size_t got = fread(text + len, 1, 65536, f);
    len += got;
    if (got == 0) break;
  }
  fclose(f);
  text[len] = '\0';
  int ok = 0;
  for (char *p = text; *p;) {
    struct Entry e = {0};
    e.service = unhex(&p, &e.service_len);
    if (e.service) e.account = unhex(&p, &e.account_len);
    if (e.account) e.password = unhex(&p, &e.password_len);
    s->items = realloc(s->items, (s->count + 1) * sizeof *s->items);
    if (!s->items) abort();
    s->items[s->count++] = e;
    if (!e.password) {
      ok = -1;
      break;
    }
  }
  free(text);
  if (ok) store_free(s);
  return ok;
}

static int write_hex(FILE *f, const char *bytes, size_t len, char end) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    unsigned char b = (unsigned char)bytes[i];
    if (fputc(digits[b >> 4], f) == EOF || fputc(digits[b & 15], f) == EOF) return -1;
  }
  return fputc(end, f) == EOF ? -1 : 0;
}

/* Rewrites the store whole: `<path>.tmp`, then rename. 0 on success. */
static int store_save(const char *path, const struct Store *s) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return -1;
  FILE *f = fdopen(fd, "wb");
  if (!f) return -1;
  int rc = 0;
  for (size_t i = 0; i < s->count && rc == 0; i++) {
    const struct Entry *e = &s->items[i];
    if (!e->service) continue;
    rc = write_hex(f, e->service, e->service_len, ' ') ||
         write_hex(f, e->account, e->account_len, ' ') ||
         write_hex(f, e->password, e->password_len, '\n');
  }
  if (fflush(f) != 0) rc = -1;
  if (fclose(f) != 0) rc = -1;
  if (rc == 0 && rename(tmp, path) != 0) rc = -1;
  return rc;
}

static struct Entry *store_find(struct Store *s, const char *service, const char *account) {
  for (size_t i = 0; i < s->count; i++) {
    struct Entry *e = &s->items[i];
    if (e->service && strcmp(e->service, service) == 0 && strcmp(e->account, account) == 0) {
      return e;
    }
  }
  return NULL;
}

/* The open store of one call: its path, lock and items. */
struct Session {
  const char *path;
  int lock_fd;
  struct Store store;
};

static OSStatus session_open(const char *fn, struct Session *ss) {
  ss->path = getenv("PUP_STANDIN_STORE");
  ss->lock_fd = -1;
  if (!ss->path || !*ss->path) return unexpected(fn, "PUP_STANDIN_STORE is not set");
  char lock[4096];
  snprintf(lock, sizeof lock, "%s.lock", ss->path);
  ss->lock_fd = open(lock, O_RDWR | O_CREAT, 0600);
  if (ss->lock_fd < 0 || flock(ss->lock_fd, LOCK_EX) != 0) {
    if (ss->lock_fd >= 0) close(ss->lock_fd);
    return unexpected(fn, "cannot lock the store");
  }
  if (store_load(ss->path, &ss->store) != 0) {
    close(ss->lock_fd);
    return unexpected(fn, "the store file does not parse");
  }
  return errSecSuccess;
}

static void session_close(struct Session *ss) {
  store_free(&ss->store);
  close(ss->lock_fd);
}

/* Counts a mutating call and aborts before it when PUP_STANDIN_ABORT_AT says so. */
static long mutation_begins(void) {
  long n = ++mutating_calls;
  if (env_long("PUP_STANDIN_ABORT_AT") == n) abort();
  return n;
}

static OSStatus mutation_commit(const char *fn, struct Session *ss, long n) {
  if (store_save(ss->path, &ss->store) != 0) {
    unexpected(fn, "cannot write the store");
    return errSecIO;
  }
  if (env_long("PUP_STANDIN_ABORT_AFTER") == n) abort();
  return errSecSuccess;
}

static struct StandinItem *new_item(const char *account) {
  struct StandinItem *item = calloc(1, sizeof *item);
  if (!item) abort();
  item->magic = ITEM_MAGIC;
  item->refcount = 1;
  snprintf(item->account, sizeof item->account, "%s", account);
  track(item, 1, account);
  return item;
}

OSStatus SecKeychainFindGenericPassword(CFTypeRef keychainOrArray, UInt32 serviceNameLength,
                                        const char *serviceName, UInt32 accountNameLength,
                                        const char *accountName, UInt32 *passwordLength,
                                        void **passwordData, SecKeychainItemRef *itemRef) {
  const char *fn = "SecKeychainFindGenericPassword";
  if (keychainOrArray) return unexpected(fn, "keychainOrArray is not NULL");
  if (!valid_names(fn, serviceNameLength, serviceName, accountNameLength, accountName)) {
    return errSecParam;
  }
  if (passwordData && !passwordLength) return unexpected(fn, "passwordData without passwordLength");
  log_line(fn, accountName);
  OSStatus fail = injected(fn);
  if (fail) return fail;
  struct Session ss;
  OSStatus status = session_open(fn, &ss);
  if (status) return status;
  struct Entry *e = store_find(&ss.store, serviceName, accountName);
  if (!e) {
    session_close(&ss);
    return errSecItemNotFound;
  }
  if (passwordLength) *passwordLength = (UInt32)e->password_len;
  if (passwordData) {
    void *copy = malloc(e->password_len ? e->password_len : 1);
    if (!copy) abort();
    memcpy(copy, e->password, e->password_len);
    track(copy, 0, accountName);
    *passwordData = copy;
  }
  if (itemRef) *itemRef = new_item(accountName);
  session_close(&ss);
  return errSecSuccess;
}

OSStatus SecKeychainAddGenericPassword(SecKeychainRef keychain, UInt32 serviceNameLength,
                                       const char *serviceName, UInt32 accountNameLength,
                                       const char *accountName, UInt32 passwordLength,
                                       const void *passwordData, SecKeychainItemRef *itemRef) {
  const char *fn = "SecKeychainAddGenericPassword";
  if (keychain) return unexpected(fn, "keychain is not NULL");
  if (!valid_names(fn, serviceNameLength, serviceName, accountNameLength, accountName)) {
    return errSecParam;
  }
  if (!passwordData && passwordLength) return unexpected(fn, "NULL passwordData with a length");
  log_line(fn, accountName);
  OSStatus fail = injected(fn);
  if (fail) return fail;
  struct Session ss;
  OSStatus status = session_open(fn, &ss);
  if (status) return status;
  if (store_find(&ss.store, serviceName, accountName)) {
    session_close(&ss);
    return errSecDuplicateItem;
  }
  long n = mutation_begins();
  ss.store.items = realloc(ss.store.items, (ss.store.count + 1) * sizeof *ss.store.items);
  if (!ss.store.items) abort();
  struct Entry *e = &ss.store.items[ss.store.count++];
  e->service = strdup(serviceName);
  e->account = strdup(accountName);
  e->password = malloc(passwordLength ? passwordLength : 1);
  if (!e->service || !e->account || !e->password) abort();
  if (passwordLength) memcpy(e->password, passwordData, passwordLength);
  e->service_len = serviceNameLength;
  e->account_len = accountNameLength;
  e->password_len = passwordLength;
  status = mutation_commit(fn, &ss, n);
  if (status == errSecSuccess && itemRef) *itemRef = new_item(accountName);
  session_close(&ss);
  return status;
}

OSStatus SecKeychainItemModifyAttributesAndData(SecKeychainItemRef itemRef,
                                                const SecKeychainAttributeList *attrList,
                                                UInt32 length, const void *data) {
  const char *fn = "SecKeychainItemModifyAttributesAndData";
  if (!itemRef) return unexpected(fn, "NULL itemRef");
  if (!live_item(itemRef)) misuse(fn, "itemRef is not a live item");
  if (attrList) return unexpected(fn, "attrList is not NULL");
  if (!data && length) return unexpected(fn, "NULL data with a length");
  log_line(fn, itemRef->account);
  OSStatus fail = injected(fn);
  if (fail) return fail;
  struct Session ss;
  OSStatus status = session_open(fn, &ss);
  if (status) return status;
  struct Entry *e = store_find(&ss.store, "pup", itemRef->account);
  if (!e) {
    session_close(&ss);
    return errSecItemNotFound;
  }
  long n = mutation_begins();
  free(e->password);
  e->password = malloc(length ? length : 1);
  if (!e->password) abort();
  if (length) memcpy(e->password, data, length);
  e->password_len = length;
  status = mutation_commit(fn, &ss, n);
  session_close(&ss);
  return status;
}

OSStatus SecKeychainItemDelete(SecKeychainItemRef itemRef) {
  const char *fn = "SecKeychainItemDelete";
  if (!itemRef) return unexpected(fn, "NULL itemRef");
  if (!live_item(itemRef)) misuse(fn, "itemRef is not a live item");
  log_line(fn, itemRef->account);
  OSStatus fail = injected(fn);
  if (fail) return fail;
  struct Session ss;
  OSStatus status = session_open(fn, &ss);
  if (status) return status;
  struct Entry *e = store_find(&ss.store, "pup", itemRef->account);
  if (!e) {
    session_close(&ss);
    return errSecItemNotFound;
  }
  long n = mutation_begins();
  free(e->service);
  e->service = NULL; /* store_save skips it */
  status = mutation_commit(fn, &ss, n);
  session_close(&ss);
  return status;
}

OSStatus SecKeychainItemFreeContent(SecKeychainAttributeList *attrList, void *data) {
  const char *fn = "SecKeychainItemFreeContent";
  if (attrList) return unexpected(fn, "attrList is not NULL");
  if (!data) {
    log_line(fn, "-");
    return errSecSuccess;
  }
  char account[256];
  if (!untrack(data, 0, account)) misuse(fn, "data was not returned by Find or was freed twice");
  log_line(fn, account);
  OSStatus fail = injected(fn);
  if (fail) {
    track(data, 0, account); /* not freed: still outstanding */
    return fail;
  }
  free(data);
  return errSecSuccess;
}

void CFRelease(CFTypeRef cf) {
  const char *fn = "CFRelease";
  if (!cf) misuse(fn, "NULL");
  struct StandinItem *item = live_item((void *)cf);
  if (!item || item->magic != ITEM_MAGIC) misuse(fn, "not a live item ref");
  log_line(fn, item->account);
  if (--item->refcount > 0) return;
  char account[256];
  untrack(item, 1, account);
  item->magic = 0;
  free(item);
}

__attribute__((destructor)) static void report_leaks(void) {
  long n = 0;
  for (struct Allocation *a = outstanding; a; a = a->next) n++;
  if (n == 0) return;
  char count[32];
  snprintf(count, sizeof count, "%ld", n);
  log_line("LEAK", count);
}
