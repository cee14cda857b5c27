/*
 * Stand-in for advapi32's generic-credential calls and kernel32's GetLastError, so pup's real
 * Deno.dlopen code (lib/storage/wincred.ts) runs on Linux (SPEC §7). It follows Microsoft's
 * documented signatures, CREDENTIALW layout (x64), return codes and limits
 * (reference/secure-store-tools.md, Windows table); only the OS is stood in for.
 *
 * Environment (read at every call):
 *   PUP_STANDIN_STORE       the store file; missing file = empty store. Unset = a logon session
 *                           without a credential set: every call fails with 1312.
 *                           One record a line, 8 space-separated fields, all hex ("-" = empty):
 *                           target(UTF-16LE bytes) type user(UTF-16LE) comment(UTF-16LE)
 *                           alias(UTF-16LE) persist lastwritten(FILETIME) blob
 *                           Every mutation rewrites it atomically (tmp, rename; no fsync: it models a killed process, not a power cut) under an
 *                           flock on "<store>.lock".
 *   PUP_STANDIN_LOG         append "<fn> <target as UTF-8>" per advapi32 call (never the blob),
 *                           "UNEXPECTED <fn> <why>" for calls pup must never make, "LIMIT <fn>
 *                           <why>" for a documented limit hit, "LEAK <n>" at unload when CredReadW
 *                           blocks were never freed. Without it, UNEXPECTED and LEAK go to stderr.
 *   PUP_STANDIN_FAIL        "<fn>=<code>[,...]": that function fails with that code, acting not.
 *   PUP_STANDIN_ABORT_AT    abort() at the start of the n-th CredWriteW/CredDeleteW call.
 *   PUP_STANDIN_ABORT_AFTER abort() right after the n-th CredWriteW/CredDeleteW call committed.
 *
 * Single-threaded by design: pup calls it synchronously from the JavaScript thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

typedef uint16_t WCHAR;
typedef uint32_t DWORD;
typedef int32_t BOOL;

typedef struct {
  DWORD dwLowDateTime;
  DWORD dwHighDateTime;
} FILETIME;

typedef struct {
  DWORD Flags;
  DWORD Type;
  WCHAR *TargetName;
  WCHAR *Comment;
  FILETIME LastWritten;
  DWORD CredentialBlobSize;
  uint8_t *CredentialBlob;
  DWORD Persist;
  DWORD AttributeCount;
  void *Attributes;
  WCHAR *TargetAlias;
  WCHAR *UserName;
} CREDENTIALW;

_Static_assert(sizeof(CREDENTIALW) == 80, "CREDENTIALW is 80 bytes on x64");
_Static_assert(offsetof(CREDENTIALW, TargetName) == 8, "TargetName at 8");
_Static_assert(offsetof(CREDENTIALW, LastWritten) == 24, "LastWritten at 24");
_Static_assert(offsetof(CREDENTIALW, CredentialBlobSize) == 32, "CredentialBlobSize at 32");
_Static_assert(offsetof(CREDENTIALW, CredentialBlob) == 40, "CredentialBlob at 40");
_Static_assert(offsetof(CREDENTIALW, Persist) == 48, "Persist at 48");
_Static_assert(offsetof(CREDENTIALW, Attributes) == 56, "Attributes at 56");
_Static_assert(offsetof(CREDENTIALW, UserName) == 72, "UserName at 72");

#define ERROR_INVALID_PARAMETER 87u
#define ERROR_INVALID_FLAGS 1004u
#define ERROR_NOT_FOUND 1168u
#define ERROR_NO_SUCH_LOGON_SESSION 1312u
#define RPC_X_BAD_STUB_DATA 1783u
#define CRED_TYPE_GENERIC 1u
#define CRED_MAX_CREDENTIAL_BLOB_SIZE 2560u
#define CRED_MAX_GENERIC_TARGET_NAME_LENGTH 32767u
#define CRED_MAX_USERNAME_LENGTH 513u
#define CRED_MAX_STRING_LENGTH 256u
#define FILETIME_UNIX_EPOCH 116444736000000000ull

static _Thread_local DWORD last_error;
static long mutating_calls;
static void **outstanding;
static size_t n_outstanding, cap_outstanding;

typedef struct {
  uint8_t *p;
  size_t n;
} Bytes;

typedef struct {
  Bytes target, user, comment, alias, blob;
  DWORD type, persist;
  uint64_t written;
} Record;

typedef struct {
  Record *r;
  size_t n;
  int lock_fd;
} Store;

/* ---- logging and knobs ---- */

static void note(int fallback_to_stderr, const char *fmt, ...) {
  const char *path = getenv("PUP_STANDIN_LOG");
  FILE *f = path && *path ? fopen(path, "a") : (fallback_to_stderr ? stderr : NULL);
  if (!f) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  if (f != stderr) fclose(f);
}

static void die(const char *why) {
  note(1, "UNEXPECTED %s", why);
  abort();
}

static long env_long(const char *name) {
  const char *v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : 0;
}

/* Whether PUP_STANDIN_FAIL names `fn`; sets *code. */
static int injected(const char *fn, DWORD *code) {
  const char *spec = getenv("PUP_STANDIN_FAIL");
  size_t len = strlen(fn);
  for (const char *p = spec; p && *p;) {
    if (strncmp(p, fn, len) == 0 && p[len] == '=') {
      *code = (DWORD)strtoul(p + len + 1, NULL, 10);
      return 1;
    }
    p = strchr(p, ',');
    if (p) p++;
  }
  return 0;
}

static BOOL fail(DWORD code) {
  last_error = code;
  return 0;
}

static BOOL unexpected(const char *fn, DWORD code, const char *why) {
  note(1, "UNEXPECTED %s %s", fn, why);
  return fail(code);
}

/* ---- UTF-16 helpers ---- */

/* Length in units of a NUL-terminated string, or max + 1 when longer than max. */
static size_t wlen(const WCHAR *s, size_t max) {
  size_t n = 0;
  while (n <= max && s[n] != 0) n++;
  return n;
}

static char *utf8(const WCHAR *s, size_t n) {
  char *out = malloc(n * 3 + 1), *o = out;
  if (!out) die("out of memory");
  for (size_t i = 0; i < n; i++) {
    uint32_t c = s[i];
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && s[i + 1] >= 0xdc00 && s[i + 1] < 0xe000) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s[++i] - 0xdc00u);
    }
    if (c < 0x80) {
      *o++ = (char)c;
    } else if (c < 0x800) {
      *o++ = (char)(0xc0 | (c >> 6));
      *o++ = (char)(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      *o++ = (char)(0xe0 | (c >> 12));
      *o++ = (char)(0x80 | ((c >> 6) & 0x3f));
      *o++ = (char)(0x80 | (c & 0x3f));
    } else {
      *o++ = (char)(0xf0 | (c >> 18));
      *o++ = (char)(0x80 | ((c >> 12) & 0x3f));
      *o++ = (char)(0x80 | ((c >> 6) & 0x3f));
      *o++ = (char)(0x80 | (c & 0x3f));
    }
  }
  *o = 0;
  return out;
}

static void log_call(const char *fn, const WCHAR *target) {
  if (!target) {
    note(0, "%s (null)", fn);
    return;
  }
  char *t = utf8(target, wlen(target, CRED_MAX_GENERIC_TARGET_NAME_LENGTH));
  note(0, "%s %s", fn, t);
  free(t);
}

static Bytes wbytes(const WCHAR *s, size_t n) {
  Bytes b = {NULL, n * 2};
  if (n) {
    b.p = malloc(b.n);
    if (!b.p) die("out of memory");
    memcpy(b.p, s, b.n);
  }
  return b;
}

static int fold(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int same_target(const Bytes *a, const WCHAR *t, size_t n) {
  if (a->n != n * 2) return 0;
  for (size_t i = 0; i < n; i++) {
    int u = a->p[2 * i] | (a->p[2 * i + 1] << 8);
    if (fold(u) != fold(t[i])) return 0;
  }
  return 1;
}

/* ---- the store file ---- */

/* One hex digit's value, or -1 (sscanf per byte made a 50 KB store take seconds). */
static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int unhex(const char *tok, Bytes *out) {
  out->p = NULL;
  out->n = 0;
  if (strcmp(tok, "-") == 0) return 1;
  size_t len = strlen(tok);
  if (len % 2) return 0;
  out->n = len / 2;
  out->p = malloc(out->n);
  if (!out->p) die("out of memory");
  for (size_t i = 0; i < out->n; i++) {
    int hi = nibble(tok[2 * i]), lo = nibble(tok[2 * i + 1]);
    if (hi < 0 || lo < 0) return 0;
    out->p[i] = (uint8_t)(hi << 4 | lo);
  }
  return 1;
}

static void put_hex(FILE *f, const Bytes *b) {
  if (b->n == 0) fputc('-', f);
  static const char digits[] = "0123456789abcdef";
  char buf[512];
  size_t k = 0;
  for (size_t i = 0; i < b->n; i++) {
    buf[k++] = digits[b->p[i] >> 4];
    buf[k++] = digits[b->p[i] & 15];
    if (k == sizeof buf) fwrite(buf, 1, k, f), k = 0;
  }
  fwrite(buf, 1, k, f);
}

static void free_store(Store *s) {
  for (size_t i = 0; i < s->n; i++) {
    Record *r = &s->r[i];
    free(r->target.p), free(r->user.p), free(r->comment.p), free(r->alias.p), free(r->blob.p);
  }
  free(s->r);
  if (s->lock_fd >= 0) close(s->lock_fd);
}

/* Locks and loads the store; 0 when PUP_STANDIN_STORE is unset (no credential set). */
static int load(Store *s) {
  const char *path = getenv("PUP_STANDIN_STORE");
  s->r = NULL, s->n = 0, s->lock_fd = -1;
  if (!path || !*path) return 0;
  char lock[4096];
  snprintf(lock, sizeof lock, "%s.lock", path);
  s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX) != 0) die("store lock cannot be taken");
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno != ENOENT) die("store file cannot be read");
    return 1;
  }
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    if (line[0] == '\n') continue;
    char *tok[8], *save = NULL;
    int k = 0;
    for (char *t = strtok_r(line, " \n", &save); t && k < 8; t = strtok_r(NULL, " \n", &save)) {
      tok[k++] = t;
    }
    Record r;
    memset(&r, 0, sizeof r);
    if (k != 8 || !unhex(tok[0], &r.target) || !unhex(tok[2], &r.user) ||
        !unhex(tok[3], &r.comment) || !unhex(tok[4], &r.alias) || !unhex(tok[7], &r.blob)) {
      die("store file has a malformed line");
    }
    r.type = (DWORD)strtoul(tok[1], NULL, 16);
    r.persist = (DWORD)strtoul(tok[5], NULL, 16);
    r.written = strtoull(tok[6], NULL, 16);
    s->r = realloc(s->r, (s->n + 1) * sizeof *s->r);
    if (!s->r) die("out of memory");
    s->r[s->n++] = r;
  }
  free(line);
  fclose(f);
  return 1;
}

static void save(const Store *s) {
  const char *path = getenv("PUP_STANDIN_STORE");
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) die("store temp file cannot be created");
  for (size_t i = 0; i < s->n; i++) {
    const Record *r = &s->r[i];
    put_hex(f, &r->target);
    fprintf(f, " %x ", r->type);
    put_hex(f, &r->user);
    fputc(' ', f);
    put_hex(f, &r->comment);
    fputc(' ', f);
    put_hex(f, &r->alias);
    fprintf(f, " %x %llx ", r->persist, (unsigned long long)r->written);
    put_hex(f, &r->blob);
    fputc('\n', f);
  }
  if (fflush(f) != 0 || fclose(f) != 0) die("store cannot be written");
  if (rename(tmp, path) != 0) die("store cannot be renamed into place");
}

static Record *find(Store *s, const WCHAR *target, size_t n) {
  for (size_t i = 0; i < s->n; i++) {
    if (s->r[i].type == CRED_TYPE_GENERIC && same_target(&s->r[i].target, target, n)) {
      return &s->r[i];
    }
  }
  return NULL;
}

/* A FILETIME greater than every one stored. */
static uint64_t next_written(const Store *s) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t now = FILETIME_UNIX_EPOCH + (uint64_t)ts.tv_sec * 10000000u + (uint64_t)ts.tv_nsec / 100;
  for (size_t i = 0; i < s->n; i++) {
    if (s->r[i].written >= now) now = s->r[i].written + 1;
  }
  return now;
}

/* ---- target checks shared by the three calls ---- */

static int bad_target(const char *fn, const WCHAR *t, size_t *n) {
  if (!t) return unexpected(fn, ERROR_INVALID_PARAMETER, "TargetName is NULL"), 1;
  *n = wlen(t, CRED_MAX_GENERIC_TARGET_NAME_LENGTH);
  if (*n == 0) return unexpected(fn, ERROR_INVALID_PARAMETER, "TargetName is empty"), 1;
  if (*n > CRED_MAX_GENERIC_TARGET_NAME_LENGTH) {
    return unexpected(fn, ERROR_INVALID_PARAMETER, "TargetName over 32767 characters"), 1;
  }
  return 0;
}

static int bad_type_flags(const char *fn, DWORD type, DWORD flags) {
  char why[64];
  if (type != CRED_TYPE_GENERIC) {
    snprintf(why, sizeof why, "Type %u", type);
    return unexpected(fn, ERROR_INVALID_PARAMETER, why), 1;
  }
  if (flags != 0) {
    snprintf(why, sizeof why, "Flags %u", flags);
    return unexpected(fn, ERROR_INVALID_FLAGS, why), 1;
  }
  return 0;
}

static int mutating_start(void) {
  long n = ++mutating_calls;
  if (env_long("PUP_STANDIN_ABORT_AT") == n) abort();
  return (int)n;
}

static void mutating_done(int n) {
  if (env_long("PUP_STANDIN_ABORT_AFTER") == n) abort();
}

/* ---- the API ---- */

/** kernel32: the calling thread's last error, set by every call below. */
DWORD GetLastError(void) { return last_error; }

/** Reads one credential into ONE block (struct, strings, blob) that CredFree releases. */
BOOL CredReadW(const WCHAR *TargetName, DWORD Type, DWORD Flags, CREDENTIALW **Credential) {
  size_t tn;
  DWORD code;
  log_call("CredReadW", TargetName);
  if (injected("CredReadW", &code)) return fail(code);
  if (!Credential) return unexpected("CredReadW", ERROR_INVALID_PARAMETER, "Credential is NULL");
  if (bad_type_flags("CredReadW", Type, Flags) || bad_target("CredReadW", TargetName, &tn)) {
    return 0;
  }
  Store s;
  if (!load(&s)) return fail(ERROR_NO_SUCH_LOGON_SESSION);
  Record *r = find(&s, TargetName, tn);
  if (!r) {
    free_store(&s);
    return fail(ERROR_NOT_FOUND);
  }
  size_t strings = r->target.n + 2 + r->comment.n + 2 + r->alias.n + 2 + r->user.n + 2;
  uint8_t *block = calloc(1, sizeof(CREDENTIALW) + strings + r->blob.n);
  if (!block) die("out of memory");
  CREDENTIALW *c = (CREDENTIALW *)block;
  uint8_t *at = block + sizeof(CREDENTIALW);
  const Bytes *texts[4] = {&r->target, &r->comment, &r->alias, &r->user};
  WCHAR **fields[4] = {&c->TargetName, &c->Comment, &c->TargetAlias, &c->UserName};
  for (int i = 0; i < 4; i++) {
    *fields[i] = (texts[i]->n || i == 0) ? (WCHAR *)at : NULL;
    if (texts[i]->n) memcpy(at, texts[i]->p, texts[i]->n);
    at += texts[i]->n + 2;
  }
  c->Type = r->type;
  c->Persist = r->persist;
  c->LastWritten.dwLowDateTime = (DWORD)r->written;
  c->LastWritten.dwHighDateTime = (DWORD)(r->written >> 32);
  c->CredentialBlobSize = (DWORD)r->blob.n;
  c->CredentialBlob = r->blob.n ? at : NULL;
  if (r->blob.n) memcpy(at, r->blob.p, r->blob.n);
  free_store(&s);
  if (n_outstanding == cap_outstanding) {
    cap_outstanding = cap_outstanding ? cap_outstanding * 2 : 16;
    outstanding = realloc(outstanding, cap_outstanding * sizeof *outstanding);
    if (!outstanding) die("out of memory");
  }
  outstanding[n_outstanding++] = block;
  *Credential = c;
  last_error = 0;
  return 1;
}

/** Releases a block CredReadW handed out; anything else is a bug in the caller: abort. */
void CredFree(void *Buffer) {
  for (size_t i = 0; i < n_outstanding; i++) {
    if (outstanding[i] == Buffer) {
      log_call("CredFree", ((CREDENTIALW *)Buffer)->TargetName);
      outstanding[i] = outstanding[--n_outstanding];
      free(Buffer);
      last_error = 0;
      return;
    }
  }
  die("CredFree of a pointer not handed out by CredReadW, or freed twice");
}

static int bad_strings(const CREDENTIALW *c) {
  if (c->UserName && wlen(c->UserName, CRED_MAX_USERNAME_LENGTH) > CRED_MAX_USERNAME_LENGTH) {
    return unexpected("CredWriteW", ERROR_INVALID_PARAMETER, "UserName over 513 characters"), 1;
  }
  if (c->Comment && wlen(c->Comment, CRED_MAX_STRING_LENGTH) > CRED_MAX_STRING_LENGTH) {
    return unexpected("CredWriteW", ERROR_INVALID_PARAMETER, "Comment over 256 characters"), 1;
  }
  if (c->TargetAlias && wlen(c->TargetAlias, CRED_MAX_STRING_LENGTH) > CRED_MAX_STRING_LENGTH) {
    return unexpected("CredWriteW", ERROR_INVALID_PARAMETER, "TargetAlias over 256 characters"), 1;
  }
  return 0;
}

/** Creates or replaces a credential; the system sets LastWritten. */
BOOL CredWriteW(const CREDENTIALW *Credential, DWORD Flags) {
  int call = mutating_start();
  size_t tn;
  DWORD code;
  char why[64];
  log_call("CredWriteW", Credential ? Credential->TargetName : NULL);
  if (injected("CredWriteW", &code)) return fail(code);
  if (!Credential) return unexpected("CredWriteW", ERROR_INVALID_PARAMETER, "Credential is NULL");
  const CREDENTIALW *c = Credential;
  if (bad_type_flags("CredWriteW", c->Type, Flags)) return 0;
  if (c->Flags != 0) return unexpected("CredWriteW", ERROR_INVALID_FLAGS, "Credential->Flags set");
  if (bad_target("CredWriteW", c->TargetName, &tn) || bad_strings(c)) return 0;
  if (c->AttributeCount != 0 || c->Attributes) {
    return unexpected("CredWriteW", ERROR_INVALID_PARAMETER, "attributes given");
  }
  if (c->Persist < 1 || c->Persist > 3) {
    snprintf(why, sizeof why, "Persist %u", c->Persist);
    return unexpected("CredWriteW", ERROR_INVALID_PARAMETER, why);
  }
  if (c->CredentialBlobSize > 0 && !c->CredentialBlob) {
    return unexpected("CredWriteW", ERROR_INVALID_PARAMETER, "CredentialBlob NULL with a size");
  }
  if (c->CredentialBlobSize > CRED_MAX_CREDENTIAL_BLOB_SIZE) {
    note(0, "LIMIT CredWriteW blob of %u bytes over 2560", c->CredentialBlobSize);
    return fail(RPC_X_BAD_STUB_DATA);
  }
  Store s;
  if (!load(&s)) return fail(ERROR_NO_SUCH_LOGON_SESSION);
  Record *r = find(&s, c->TargetName, tn);
  uint64_t written = next_written(&s);
  if (!r) {
    s.r = realloc(s.r, (s.n + 1) * sizeof *s.r);
    if (!s.r) die("out of memory");
    r = &s.r[s.n++];
  } else {
    free(r->target.p), free(r->user.p), free(r->comment.p), free(r->alias.p), free(r->blob.p);
  }
  r->target = wbytes(c->TargetName, tn);
  r->user = c->UserName ? wbytes(c->UserName, wlen(c->UserName, CRED_MAX_USERNAME_LENGTH))
                        : (Bytes){NULL, 0};
  r->comment = c->Comment ? wbytes(c->Comment, wlen(c->Comment, CRED_MAX_STRING_LENGTH))
                          : (Bytes){NULL, 0};
  r->alias = c->TargetAlias ? wbytes(c->TargetAlias, wlen(c->TargetAlias, CRED_MAX_STRING_LENGTH))
                            : (Bytes){NULL, 0};
  r->blob = (Bytes){NULL, c->CredentialBlobSize};
  if (r->blob.n) {
    r->blob.p = malloc(r->blob.n);
    if (!r->blob.p) die("out of memory");
    memcpy(r->blob.p, c->CredentialBlob, r->blob.n);
  }
  r->type = c->Type;
  r->persist = c->Persist;
  r->written = written;
  save(&s);
  free_store(&s);
  mutating_done(call);
  last_error = 0;
  return 1;
}

/** Deletes one credential; a missing one is ERROR_NOT_FOUND. */
BOOL CredDeleteW(const WCHAR *TargetName, DWORD Type, DWORD Flags) {
  int call = mutating_start();
  size_t tn;
  DWORD code;
  log_call("CredDeleteW", TargetName);
  if (injected("CredDeleteW", &code)) return fail(code);
  if (bad_type_flags("CredDeleteW", Type, Flags) || bad_target("CredDeleteW", TargetName, &tn)) {
    return 0;
  }
  Store s;
  if (!load(&s)) return fail(ERROR_NO_SUCH_LOGON_SESSION);
  Record *r = find(&s, TargetName, tn);
  if (!r) {
    free_store(&s);
    mutating_done(call);
    return fail(ERROR_NOT_FOUND);
  }
  free(r->target.p), free(r->user.p), free(r->comment.p), free(r->alias.p), free(r->blob.p);
  *r = s.r[--s.n];
  save(&s);
  free_store(&s);
  mutating_done(call);
  last_error = 0;
  return 1;
}

__attribute__((destructor)) static void report_leaks(void) {
  if (n_outstanding) note(1, "LEAK %zu", n_outstanding);
}
