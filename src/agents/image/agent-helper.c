/*
 * The in-agent helper: the main process (PID 1) of every SecureSphere agent. It reads
 * newline-delimited JSON requests on stdin and writes one JSON answer line per request on
 * stdout. Protocol (see src/agents/helper-client.ts):
 *   {"id":X,"op":"ping"}  -> {"id":X,"result":{"pong":true,"pid":N,"uid":N,"helper":"c"}}
 *   {"id":X,"op":"exec","argv":[..],"cwd":"..","env":{..},"stdin":"..","timeoutMs":N,"outputCapBytes":N,
 *    "rlimits":{"nproc":N,"nofile":N}}
 *                         -> {"id":X,"result":{"exitCode":N|null,"signal":"SIG..."|null,"stdout":"..",
 *                             "stderr":"..","durationMs":N,"truncated":B,"limit":null|"timeout"|"output"|"killed"}}
 *   {"id":X,"op":"lease","owner":"O"}
 *                         -> {"id":X,"result":{"renewed":N}}
 *   {"id":X,"op":"calls","tag":"T","cancel":B}
 *                         -> {"id":X,"result":{"running":N,"completed":N,"cut":N,"exitCode":N|null,
 *                             "signal":"SIG..."|null,"limit":null|"..."}}
 *   anything else         -> {"id":X|null,"error":"..."}
 *
 * Leases: an exec request may carry "owner" (its client's id) and "leaseMs". The client renews
 * its owner's lease while it waits for answers; a call whose lease runs out (the gateway that
 * asked for it died or lost its connection) is killed, so a program never keeps running for
 * a gateway that can no longer record what it did. A call may carry a "tag" (the gateway's
 * action id): the outcome of the last tagged calls is kept, so a restarted gateway can ask
 * ("calls") whether an interrupted action's program finished or was cut, and cut the rest.
 *
 * Why C: under gVisor a static binary is ready in ~1 ms and idles in well under 1 MiB, where
 * the Python helper it replaces needed ~60 ms and ~5 MiB of guest memory per agent; both show
 * up directly in every cold agent start and in the memory of every idle agent.
 *
 * One thread, one poll() loop: stdin, a self-pipe woken by SIGCHLD, and the pipes of every
 * running program. Every program runs in its own session (process group) so a timeout kills
 * all its descendants; as PID 1 we also reap orphans. The requests come from the gateway, but
 * a request is still never trusted to be well-formed: a bad line gets an error answer, never
 * a crash. No allocation failure is survivable here, so they end the helper (the gateway then
 * reports the agent as gone and recreates it).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE (32u * 1024u * 1024u) /* a request larger than this is refused */
#define MAX_JOBS 256                   /* concurrent executions */
#define MAX_DEPTH 32                   /* JSON nesting */
#define MAX_NODES 100000               /* JSON values in one request (bounds parser memory) */
#define MAX_ENV 1024                   /* environment entries in one request */
#define DEFAULT_TIMEOUT_MS 30000.0
#define MAX_TIMEOUT_MS (24.0 * 3600 * 1000)
#define DEFAULT_CAP 65536.0
#define MAX_CAP (64.0 * 1024 * 1024)
/* Output beyond the cap is discarded; a program that keeps writing far past it is killed. */
#define RUNAWAY_FACTOR 64
#define RUNAWAY_MIN_BYTES (8u * 1024u * 1024u)
/* After the program exits, its pipes may be held open by escaped descendants: wait this long. */
#define DRAIN_GRACE_MS 1000.0
#define MAX_TAG 128    /* bytes of a call's tag (the gateway's action id) */
#define MAX_OWNER 64   /* bytes of a lease owner */
#define MAX_DONE 64    /* finished tagged calls remembered for "calls" */
#define MAX_LEASE_MS (600.0 * 1000)

static const char *const BASE_ENV[][2] = {
    {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
    {"HOME", "/workspace"},
    {"LANG", "C.UTF-8"},
    {"TMPDIR", "/tmp"},
};
#define BASE_ENV_N (sizeof BASE_ENV / sizeof BASE_ENV[0])

static void die(const char *what) {
    /* stderr goes to the gateway's debug log; stdout is reserved for answers. */
    dprintf(2, "agent-helper: %s: %s\n", what, strerror(errno));
    _exit(70);
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory");
    return q;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---------------------------------------------------------------- growable byte buffer */

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static void buf_reserve(buf_t *b, size_t extra) {
    if (extra > SIZE_MAX / 2 - b->len) die("buffer too large");
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}
static void buf_add(buf_t *b, const void *data, size_t n) {
    buf_reserve(b, n);
    memcpy(b->p + b->len, data, n);
    b->len += n;
}
static void buf_str(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }
static void buf_chr(buf_t *b, char c) { buf_add(b, &c, 1); }
static void buf_fmt(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_fmt(buf_t *b, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) buf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
static void buf_free(buf_t *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---------------------------------------------------------------- JSON values (parser) */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
    jtype t;
    int b;
    double n;
    char *s; /* J_STR: bytes, NUL-terminated, may contain NUL (slen says) */
    size_t slen;
    struct jval *items; /* J_ARR: n items; J_OBJ: values */
    char **keys;        /* J_OBJ */
    size_t *klens;
    size_t count;
} jval;

typedef struct {
    const char *p, *end;
    size_t nodes;
} jparser;

static void jfree(jval *v) {
    if (v->t == J_STR) free(v->s);
    if (v->t == J_ARR || v->t == J_OBJ) {
        for (size_t i = 0; i < v->count; i++) {
            jfree(&v->items[i]);
            if (v->t == J_OBJ) free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
        free(v->klens);
    }
    memset(v, 0, sizeof *v);
}

static void jskip(jparser *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static void utf8_put(buf_t *b, unsigned cp) {
    char o[4];
    if (cp < 0x80) { o[0] = (char)cp; buf_add(b, o, 1); }
    else if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); buf_add(b, o, 2); }
    else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        buf_add(b, o, 3);
    } else {
        o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
        buf_add(b, o, 4);
    }
}

static int jstring(jparser *j, char **out, size_t *outlen) {
    buf_t b = {0};
    j->p++; /* opening quote */
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"') {
            buf_chr(&b, '\0');
            *out = b.p;
            *outlen = b.len - 1;
            return 0;
        }
        if (c < 0x20) break;
        if (c != '\\') { buf_chr(&b, (char)c); continue; }
        if (j->p >= j->end) break;
        char e = *j->p++;
        switch (e) {
        case '"': buf_chr(&b, '"'); break;
        case '\\': buf_chr(&b, '\\'); break;
        case '/': buf_chr(&b, '/'); break;
        case 'b': buf_chr(&b, '\b'); break;
        case 'f': buf_chr(&b, '\f'); break;
        case 'n': buf_chr(&b, '\n'); break;
        case 'r': buf_chr(&b, '\r'); break;
        case 't': buf_chr(&b, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (j->end - j->p < 4 || hex4(j->p, &cp)) goto fail;
            j->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' &&
                !hex4(j->p + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                j->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD; /* lone surrogate */
            }
            utf8_put(&b, cp);
            break;
        }
        default: goto fail;
        }
    }
fail:
    buf_free(&b);
    return -1;
}

static int jparse_value(jparser *j, jval *v, int depth);

static int jparse_items(jparser *j, jval *v, int depth, char close, int object) {
    size_t cap = 0;
    j->p++; /* [ or { */
    jskip(j);
    if (j->p < j->end && *j->p == close) { j->p++; return 0; }
    for (;;) {
        if (v->count == cap) {
            cap = cap ? cap * 2 : 4;
            v->items = xrealloc(v->items, cap * sizeof *v->items);
            if (object) {
                v->keys = xrealloc(v->keys, cap * sizeof *v->keys);
                v->klens = xrealloc(v->klens, cap * sizeof *v->klens);
            }
        }
        jskip(j);
        if (object) {
            if (j->p >= j->end || *j->p != '"' || jstring(j, &v->keys[v->count], &v->klens[v->count])) return -1;
            jskip(j);
            if (j->p >= j->end || *j->p != ':') { free(v->keys[v->count]); return -1; }
            j->p++;
        }
        memset(&v->items[v->count], 0, sizeof *v->items);
        if (jparse_value(j, &v->items[v->count], depth + 1)) {
            jfree(&v->items[v->count]); /* a half-built child owns memory too */
            if (object) free(v->keys[v->count]);
            return -1;
        }
        v->count++;
        jskip(j);
        if (j->p < j->end && *j->p == ',') { j->p++; continue; }
        if (j->p < j->end && *j->p == close) { j->p++; return 0; }
        return -1;
    }
}

static int jparse_value(jparser *j, jval *v, int depth) {
    if (depth > MAX_DEPTH || ++j->nodes > MAX_NODES) return -1;
    jskip(j);
    if (j->p >= j->end) return -1;
    char c = *j->p;
    if (c == '{') { v->t = J_OBJ; return jparse_items(j, v, depth, '}', 1); }
    if (c == '[') { v->t = J_ARR; return jparse_items(j, v, depth, ']', 0); }
    if (c == '"') { v->t = J_STR; return jstring(j, &v->s, &v->slen); }
    if ((size_t)(j->end - j->p) >= 4 && !memcmp(j->p, "true", 4)) { v->t = J_BOOL; v->b = 1; j->p += 4; return 0; }
    if ((size_t)(j->end - j->p) >= 5 && !memcmp(j->p, "false", 5)) { v->t = J_BOOL; j->p += 5; return 0; }
    if ((size_t)(j->end - j->p) >= 4 && !memcmp(j->p, "null", 4)) { v->t = J_NULL; j->p += 4; return 0; }
    /* Number: validate the JSON grammar ourselves, then let strtod convert the copy. */
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
    if (*j->p == '0') j->p++;
    else while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    char num[64];
    size_t n = (size_t)(j->p - s);
    if (n >= sizeof num) return -1;
    memcpy(num, s, n);
    num[n] = '\0';
    v->t = J_NUM;
    v->n = strtod(num, NULL);
    return 0;
}

static int jparse(const char *text, size_t len, jval *out) {
    jparser j = {text, text + len, 0};
    memset(out, 0, sizeof *out);
    if (jparse_value(&j, out, 0)) { jfree(out); return -1; }
    jskip(&j);
    if (j.p != j.end) { jfree(out); return -1; }
    return 0;
}

static const jval *jget(const jval *obj, const char *key) {
    if (!obj || obj->t != J_OBJ) return NULL;
    size_t kl = strlen(key);
    const jval *found = NULL;
    for (size_t i = 0; i < obj->count; i++) /* last duplicate wins, as in JSON.parse */
        if (obj->klens[i] == kl && !memcmp(obj->keys[i], key, kl)) found = &obj->items[i];
    return found;
}

/* ---------------------------------------------------------------- JSON output */

/* Writes bytes as a JSON string. Invalid UTF-8 becomes U+FFFD (program output is arbitrary bytes). */
static void jw_str(buf_t *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    buf_reserve(b, n + 2);
    buf_chr(b, '"');
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            if (c == '"' || c == '\\') { buf_chr(b, '\\'); buf_chr(b, (char)c); }
            else if (c == '\n') buf_str(b, "\\n");
            else if (c == '\r') buf_str(b, "\\r");
            else if (c == '\t') buf_str(b, "\\t");
            else if (c < 0x20 || c == 0x7F) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                buf_add(b, e, 6);
            } else buf_chr(b, (char)c);
            p++;
            continue;
        }
        /* Multi-byte: accept only well-formed, shortest-form, non-surrogate sequences. */
        size_t need = 0;
        unsigned cp = 0, min = 0;
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
        size_t k = 1;
        if (need) {
            while (k <= need && p + k < end && (p[k] & 0xC0) == 0x80) { cp = (cp << 6) | (p[k] & 0x3F); k++; }
        }
        if (need && k == need + 1 && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
            if (cp == 0x2028 || cp == 0x2029) buf_str(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
            else buf_add(b, p, k);
            p += k;
        } else {
            buf_str(b, "\xEF\xBF\xBD"); /* skip the bad lead byte and the continuation bytes it claimed */
            p += k;
        }
    }
    buf_chr(b, '"');
}

static void jw_value(buf_t *b, const jval *v) {
    if (!v) { buf_str(b, "null"); return; }
    switch (v->t) {
    case J_NULL: buf_str(b, "null"); break;
    case J_BOOL: buf_str(b, v->b ? "true" : "false"); break;
    case J_NUM: /* like JSON.stringify: there is no JSON for infinity */
        if (isfinite(v->n)) buf_fmt(b, "%.17g", v->n);
        else buf_str(b, "null");
        break;
    case J_STR: jw_str(b, v->s, v->slen); break;
    /* Ids are strings or numbers; a structured id is echoed as null rather than re-serialised. */
    default: buf_str(b, "null"); break;
    }
}

static void send_line(buf_t *b) {
    buf_chr(b, '\n');
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(1, b->p + off, b->len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(0); /* the gateway went away: nothing left to answer */
        off += (size_t)w;
    }
}

static void send_error(const jval *id, const char *message) {
    buf_t b = {0};
    buf_str(&b, "{\"id\":");
    jw_value(&b, id);
    buf_str(&b, ",\"error\":");
    jw_str(&b, message, strlen(message));
    buf_chr(&b, '}');
    send_line(&b);
    buf_free(&b);
}

/* ---------------------------------------------------------------- executions */

typedef struct {
    buf_t kept;
    size_t total;
} collector;

typedef struct {
    int used;
    buf_t id; /* the request id, already JSON-encoded */
    pid_t pid;
    int fd_in, fd_out, fd_err;
    char *stdin_data;
    size_t stdin_len, stdin_off;
    collector out, err;
    size_t cap, runaway;
    double started, deadline, exited_at;
    int exited, status;
    const char *limit;
    char owner[MAX_OWNER + 1]; /* empty: no lease */
    double lease_ms, lease_deadline;
    char tag[MAX_TAG + 1]; /* empty: untagged */
    int cut;               /* killed because its lease ran out or a restarted gateway cancelled it */
} job_t;

/* The outcome of a finished tagged call. */
typedef struct {
    int used, cut, has_code, code;
    char tag[MAX_TAG + 1];
    char sig[16];
    const char *limit;
} done_t;

static done_t done_calls[MAX_DONE];
static int done_next;

static job_t jobs[MAX_JOBS];
static int sig_pipe[2] = {-1, -1};

static void on_sigchld(int sig) {
    (void)sig;
    int saved = errno;
    ssize_t r = write(sig_pipe[1], "c", 1);
    (void)r;
    errno = saved;
}

static void on_sigterm(int sig) {
    (void)sig;
    _exit(143);
}

/* Every program leads its own group (setsid), so -pid is it and all its descendants. Only
 * called while the program is unreaped, or right after reaping it (no fork in between), so
 * the number cannot belong to a newer program yet. */
static void kill_group(pid_t pid) {
    if (pid > 0) kill(-pid, SIGKILL);
}

static const char *signal_name(int sig, char *tmp, size_t n) {
    static const struct { int sig; const char *name; } names[] = {
        {SIGHUP, "SIGHUP"}, {SIGINT, "SIGINT"}, {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"}, {SIGTRAP, "SIGTRAP"},
        {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"}, {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"},
        {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"}, {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
        {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"}, {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"},
        {SIGTTOU, "SIGTTOU"}, {SIGURG, "SIGURG"}, {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGVTALRM, "SIGVTALRM"},
        {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"}, {SIGIO, "SIGIO"}, {SIGPWR, "SIGPWR"}, {SIGSYS, "SIGSYS"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig) return names[i].name;
    snprintf(tmp, n, "SIG%d", sig);
    return tmp;
}

static void collect(job_t *jb, collector *c, const char *data, size_t n) {
    c->total += n;
    if (c->kept.len < jb->cap) {
        size_t take = jb->cap - c->kept.len < n ? jb->cap - c->kept.len : n;
        buf_add(&c->kept, data, take);
    }
    if (c->total > jb->runaway && !jb->limit && !jb->exited) {
        jb->limit = "output";
        kill_group(jb->pid);
    }
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void write_stream(buf_t *b, const char *key, const job_t *jb, const collector *c) {
    buf_str(b, key);
    if (c->total <= jb->cap) {
        jw_str(b, c->kept.p ? c->kept.p : "", c->kept.len);
        return;
    }
    buf_t text = {0};
    buf_add(&text, c->kept.p ? c->kept.p : "", c->kept.len);
    buf_fmt(&text, "\n[securesphere: output truncated, %zu of %zu bytes dropped]\n", c->total - jb->cap, c->total);
    jw_str(b, text.p, text.len);
    buf_free(&text);
}

/*
 * A program can escape its call's process group with setsid() and outlive the call, its
 * timeout included. We are the subreaper (PID 1 in a container; PR_SET_CHILD_SUBREAPER under
 * bubblewrap), so such a process ends up a descendant of ours in a session of its own. After
 * every call, every descendant whose session is not a running call's is killed.
 */
#define MAX_PROCS 4096
static void kill_strays(void) {
    static pid_t pids[MAX_PROCS], ppids[MAX_PROCS], sids[MAX_PROCS];
    pid_t self = getpid();
    for (int pass = 0; pass < 3; pass++) {
        int n = 0, killed = 0;
        DIR *d = opendir("/proc");
        if (!d) return;
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < MAX_PROCS) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end != '\0' || pid <= 0 || pid == self) continue;
            char path[64], buf[512];
            snprintf(path, sizeof path, "/proc/%ld/stat", pid);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            ssize_t len = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (len <= 0) continue;
            buf[len] = '\0';
            /* pid (comm) state ppid pgrp session ...; comm may contain anything but ends at the last ')'. */
            char *rp = strrchr(buf, ')');
            long ppid, pgrp, sid;
            char state;
            if (!rp || sscanf(rp + 1, " %c %ld %ld %ld", &state, &ppid, &pgrp, &sid) != 4) continue;
            pids[n] = (pid_t)pid;
            ppids[n] = (pid_t)ppid;
            sids[n] = (pid_t)sid;
            n++;
        }
        closedir(d);
        for (int i = 0; i < n; i++) {
            /* Ours: the parent chain reaches us (bounded walk); `top` is the ancestor just below us. */
            pid_t top = pids[i], p = ppids[i];
            int ours = 0;
            for (int hops = 0; hops < 64 && p > 0; hops++) {
                if (p == self) { ours = 1; break; }
                int k = -1;
                for (int j = 0; j < n; j++)
                    if (pids[j] == p) { k = j; break; }
                if (k < 0) break;
                top = p;
                p = ppids[k];
            }
            if (!ours) continue;
            /* Kept: anything under a running call's main process (even in a session of its own,
             * e.g. a server the call started and still talks to), and orphans of a running
             * call's session. */
            int live = 0;
            for (int j = 0; j < MAX_JOBS && !live; j++)
                if (jobs[j].used && !jobs[j].exited && (jobs[j].pid == top || jobs[j].pid == sids[i])) live = 1;
            if (live) continue;
            kill(pids[i], SIGKILL);
            killed++;
        }
        if (!killed) return;
    }
}

static void finish_job(job_t *jb) {
    close_fd(&jb->fd_in);
    close_fd(&jb->fd_out);
    close_fd(&jb->fd_err);
    char tmp[16];
    const char *sig = NULL;
    int has_code = 0, code = 0;
    if (WIFEXITED(jb->status)) { has_code = 1; code = WEXITSTATUS(jb->status); }
    else if (WIFSIGNALED(jb->status)) sig = signal_name(WTERMSIG(jb->status), tmp, sizeof tmp);
    if (!jb->limit && sig && !strcmp(sig, "SIGKILL")) jb->limit = "killed";
    if (jb->tag[0]) {
        done_t *d = &done_calls[done_next];
        done_next = (done_next + 1) % MAX_DONE;
        memset(d, 0, sizeof *d);
        d->used = 1;
        d->cut = jb->cut;
        d->has_code = has_code;
        d->code = code;
        d->limit = jb->limit;
        memcpy(d->tag, jb->tag, sizeof d->tag);
        if (sig) snprintf(d->sig, sizeof d->sig, "%s", sig);
    }
    buf_t b = {0};
    buf_str(&b, "{\"id\":");
    buf_add(&b, jb->id.p, jb->id.len);
    buf_str(&b, ",\"result\":{\"exitCode\":");
    if (has_code) buf_fmt(&b, "%d", code);
    else buf_str(&b, "null");
    buf_str(&b, ",\"signal\":");
    if (sig) jw_str(&b, sig, strlen(sig));
    else buf_str(&b, "null");
    write_stream(&b, ",\"stdout\":", jb, &jb->out);
    write_stream(&b, ",\"stderr\":", jb, &jb->err);
    buf_fmt(&b, ",\"durationMs\":%.3f,\"truncated\":%s,\"limit\":", jb->exited_at - jb->started,
            (jb->out.total > jb->cap || jb->err.total > jb->cap) ? "true" : "false");
    if (jb->limit) jw_str(&b, jb->limit, strlen(jb->limit));
    else buf_str(&b, "null");
    buf_str(&b, "}}");
    send_line(&b);
    buf_free(&b);
    buf_free(&jb->id);
    buf_free(&jb->out.kept);
    buf_free(&jb->err.kept);
    free(jb->stdin_data);
    memset(jb, 0, sizeof *jb);
    kill_strays();
}

/* The program could not be started at all: answer like a shell would (127 not found, 126 other). */
static void answer_spawn_failure(const jval *id, const char *prog, const char *cwd, int stage, int err, double started) {
    buf_t msg = {0}, b = {0};
    if (stage == 1) {
        buf_str(&msg, "securesphere: cannot change directory to ");
        buf_str(&msg, cwd);
    } else {
        buf_str(&msg, "securesphere: cannot run ");
        buf_str(&msg, prog);
    }
    buf_str(&msg, ": ");
    buf_str(&msg, err == ENOENT ? "ENOENT" : strerror(err));
    buf_str(&b, "{\"id\":");
    jw_value(&b, id);
    buf_fmt(&b, ",\"result\":{\"exitCode\":%d,\"signal\":null,\"stdout\":\"\",\"stderr\":", err == ENOENT ? 127 : 126);
    jw_str(&b, msg.p, msg.len);
    buf_fmt(&b, ",\"durationMs\":%.3f,\"truncated\":false,\"limit\":null}}", now_ms() - started);
    send_line(&b);
    buf_free(&b);
    buf_free(&msg);
}

static int is_str(const jval *v, const char *s) { return v && v->t == J_STR && v->slen == strlen(s) && !memcmp(v->s, s, v->slen); }

static int has_nul(const jval *v) { return v->t != J_STR || memchr(v->s, '\0', v->slen) != NULL; }

static double positive(const jval *v, double fallback, double max) {
    if (!v || v->t != J_NUM || !(v->n > 0)) return fallback;
    return v->n > max ? max : v->n;
}

/* Lowers the soft and hard limit to `value`, never raising either (the container's limit is
 * the ceiling). Values below 1 mean "not set". */
static void lower_limit(int resource, double value) {
    struct rlimit rl;
    if (!(value >= 1) || getrlimit(resource, &rl) != 0) return;
    rlim_t want = value >= 1e18 ? RLIM_INFINITY : (rlim_t)value;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) want = rl.rlim_max;
    if (rl.rlim_cur == RLIM_INFINITY || want < rl.rlim_cur) rl.rlim_cur = want;
    rl.rlim_max = want;
    setrlimit(resource, &rl);
}

typedef struct {
    double nproc, nofile;
} limits_t;

/* What failed before the program ran; sent with the errno over the status pipe. */
enum { STAGE_EXEC = 0, STAGE_CWD = 1, STAGE_SETUP = 2 };

/* Child side of fork(): never returns. Reports a failure to start as {stage, errno} on err_fd. */
static void exec_child(int in_r, int out_w, int err_w, int err_fd, const char *cwd, char **argv, char **envp, const char *path,
                       const limits_t *lim) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL); /* ignored dispositions survive exec: restore the default */
    signal(SIGCHLD, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    setsid(); /* own process group: a timeout kills every descendant */
    lower_limit(RLIMIT_NPROC, lim->nproc);
    lower_limit(RLIMIT_NOFILE, lim->nofile);
    int stage = STAGE_SETUP;
    if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0) goto fail;
    /* Every other descriptor of ours is O_CLOEXEC, so exec closes them. */
    stage = STAGE_CWD;
    if (chdir(cwd) != 0) goto fail;
    stage = STAGE_EXEC;
    if (strchr(argv[0], '/')) {
        execve(argv[0], argv, envp);
    } else {
        /* Search the PATH of the program's environment, as a shell given that environment would. */
        int saw_eacces = 0;
        const char *p = path;
        char full[PATH_MAX];
        while (p) {
            const char *colon = strchr(p, ':');
            size_t dl = colon ? (size_t)(colon - p) : strlen(p);
            int n = snprintf(full, sizeof full, "%.*s/%s", (int)dl, dl ? p : ".", argv[0]);
            if (n > 0 && (size_t)n < sizeof full) {
                execve(full, argv, envp);
                if (errno == EACCES) saw_eacces = 1;
                else if (errno != ENOENT && errno != ENOTDIR) goto fail;
            }
            p = colon ? colon + 1 : NULL;
        }
        errno = saw_eacces ? EACCES : ENOENT;
    }
fail:;
    int report[2] = {stage, errno};
    ssize_t r = write(err_fd, report, sizeof report);
    (void)r;
    _exit(127);
}

/* A short NUL-free string field into out (size max+1); empty when absent, too long or not a string. */
static void short_str(const jval *v, char *out, size_t max) {
    out[0] = '\0';
    if (!v || v->t != J_STR || v->slen == 0 || v->slen > max || memchr(v->s, '\0', v->slen)) return;
    memcpy(out, v->s, v->slen);
    out[v->slen] = '\0';
}

static void start_exec(const jval *req, const jval *id) {
    const jval *argv_v = jget(req, "argv");
    if (!argv_v || argv_v->t != J_ARR || argv_v->count == 0) {
        send_error(id, "argv must be a non-empty array of strings");
        return;
    }
    for (size_t i = 0; i < argv_v->count; i++)
        if (argv_v->items[i].t != J_STR) { send_error(id, "argv must be a non-empty array of strings"); return; }
    for (size_t i = 0; i < argv_v->count; i++)
        if (has_nul(&argv_v->items[i])) { send_error(id, "argv must not contain NUL bytes"); return; }
    const jval *cwd_v = jget(req, "cwd");
    const char *cwd = "/workspace";
    if (cwd_v && cwd_v->t == J_STR) {
        if (has_nul(cwd_v)) { send_error(id, "cwd must not contain NUL bytes"); return; }
        cwd = cwd_v->s;
    }
    int slot = -1;
    for (int i = 0; i < MAX_JOBS; i++)
        if (!jobs[i].used) { slot = i; break; }
    if (slot < 0) { send_error(id, "too many concurrent executions"); return; }

    /* Environment: the base, overridden by well-formed request entries. */
    size_t env_extra = 0;
    const jval *env_v = jget(req, "env");
    if (env_v && env_v->t == J_OBJ) env_extra = env_v->count;
    if (env_extra > MAX_ENV) { send_error(id, "env has too many entries"); return; }
    char **envp = xrealloc(NULL, (BASE_ENV_N + env_extra + 1) * sizeof *envp);
    size_t envc = 0;
    const char *path = BASE_ENV[0][1];
    for (size_t i = 0; i < BASE_ENV_N + env_extra; i++) {
        const char *k, *val;
        size_t kl, vl;
        if (i < BASE_ENV_N) { k = BASE_ENV[i][0]; kl = strlen(k); val = BASE_ENV[i][1]; vl = strlen(val); }
        else {
            size_t e = i - BASE_ENV_N;
            const jval *v = &env_v->items[e];
            k = env_v->keys[e];
            kl = env_v->klens[e];
            if (v->t != J_STR || kl == 0 || memchr(k, '\0', kl) || memchr(k, '=', kl) || memchr(v->s, '\0', v->slen)) continue;
            val = v->s;
            vl = v->slen;
        }
        char *entry = xrealloc(NULL, kl + vl + 2);
        memcpy(entry, k, kl);
        entry[kl] = '=';
        memcpy(entry + kl + 1, val, vl);
        entry[kl + 1 + vl] = '\0';
        size_t at = envc;
        for (size_t x = 0; x < envc; x++) /* a later entry replaces an earlier one */
            if (!strncmp(envp[x], entry, kl + 1)) { free(envp[x]); at = x; break; }
        envp[at] = entry;
        if (at == envc) envc++;
        if (kl == 4 && !memcmp(k, "PATH", 4)) path = entry + 5;
    }
    envp[envc] = NULL;
    char **argv = xrealloc(NULL, (argv_v->count + 1) * sizeof *argv);
    for (size_t i = 0; i < argv_v->count; i++) argv[i] = argv_v->items[i].s;
    argv[argv_v->count] = NULL;

    job_t *jb = &jobs[slot];
    memset(jb, 0, sizeof *jb);
    jb->fd_in = jb->fd_out = jb->fd_err = -1;
    jb->started = now_ms();
    double cap = positive(jget(req, "outputCapBytes"), DEFAULT_CAP, MAX_CAP);
    jb->cap = cap < 1 ? 1 : (size_t)cap;
    jb->runaway = jb->cap * RUNAWAY_FACTOR > RUNAWAY_MIN_BYTES ? jb->cap * RUNAWAY_FACTOR : RUNAWAY_MIN_BYTES;
    jb->deadline = jb->started + positive(jget(req, "timeoutMs"), DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS);
    short_str(jget(req, "owner"), jb->owner, MAX_OWNER);
    jb->lease_ms = jb->owner[0] ? positive(jget(req, "leaseMs"), 0, MAX_LEASE_MS) : 0;
    jb->lease_deadline = jb->started + jb->lease_ms;
    short_str(jget(req, "tag"), jb->tag, MAX_TAG);

    const jval *rl = jget(req, "rlimits");
    limits_t lim = {positive(jget(rl, "nproc"), 0, 1e9), positive(jget(rl, "nofile"), 0, 1e9)};

    /* in, out, err, status: [read, write] each. Out of descriptors is an answer, not the end of us. */
    int fds[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    int *in_p = fds, *out_p = fds + 2, *err_p = fds + 4, *status_p = fds + 6;
    pid_t pid = -1;
    int spawn_errno = 0;
    for (int i = 0; i < 4; i++)
        if (pipe2(fds + 2 * i, O_CLOEXEC)) { spawn_errno = errno; break; }
    if (!spawn_errno) {
        pid = fork();
        if (pid < 0) spawn_errno = errno;
    }
    if (spawn_errno) {
        for (size_t i = 0; i < 8; i++)
            if (fds[i] >= 0) close(fds[i]);
        answer_spawn_failure(id, argv[0], cwd, STAGE_SETUP, spawn_errno, jb->started);
        memset(jb, 0, sizeof *jb);
    } else if (pid == 0) {
        exec_child(in_p[0], out_p[1], err_p[1], status_p[1], cwd, argv, envp, path, &lim);
    } else {
        close(in_p[0]);
        close(out_p[1]);
        close(err_p[1]);
        close(status_p[1]);
        int report[2] = {0, 0};
        ssize_t r;
        do r = read(status_p[0], report, sizeof report); /* EOF: exec succeeded */
        while (r < 0 && errno == EINTR);
        close(status_p[0]);
        if (r == (ssize_t)sizeof report) {
            close(in_p[1]);
            close(out_p[0]);
            close(err_p[0]);
            answer_spawn_failure(id, argv[0], cwd, report[0], report[1], jb->started);
            memset(jb, 0, sizeof *jb); /* the child is reaped by the SIGCHLD loop */
        } else {
            jb->used = 1;
            jb->pid = pid;
            jb->fd_in = in_p[1];
            jb->fd_out = out_p[0];
            jb->fd_err = err_p[0];
            fcntl(jb->fd_in, F_SETFL, O_NONBLOCK);
            fcntl(jb->fd_out, F_SETFL, O_NONBLOCK);
            fcntl(jb->fd_err, F_SETFL, O_NONBLOCK);
            const jval *stdin_v = jget(req, "stdin");
            if (stdin_v && stdin_v->t == J_STR && stdin_v->slen > 0) {
                jb->stdin_data = xrealloc(NULL, stdin_v->slen);
                memcpy(jb->stdin_data, stdin_v->s, stdin_v->slen);
                jb->stdin_len = stdin_v->slen;
            } else {
                close_fd(&jb->fd_in);
            }
            jw_value(&jb->id, id);
        }
    }
    for (size_t i = 0; i < envc; i++) free(envp[i]);
    free(envp);
    free(argv);
}

/* Renews the lease of every running call of one owner. */
static void renew_lease(const jval *req, const jval *id) {
    char owner[MAX_OWNER + 1];
    short_str(jget(req, "owner"), owner, MAX_OWNER);
    if (!owner[0]) { send_error(id, "lease needs an owner"); return; }
    int renewed = 0;
    double now = now_ms();
    for (int i = 0; i < MAX_JOBS; i++) {
        job_t *jb = &jobs[i];
        if (!jb->used || jb->exited || jb->lease_ms <= 0 || strcmp(jb->owner, owner)) continue;
        jb->lease_deadline = now + jb->lease_ms;
        renewed++;
    }
    buf_t b = {0};
    buf_str(&b, "{\"id\":");
    jw_value(&b, id);
    buf_fmt(&b, ",\"result\":{\"renewed\":%d}}", renewed);
    send_line(&b);
    buf_free(&b);
}

/* Kills a running call because nobody can record its outcome any more. */
static void cut_job(job_t *jb) {
    jb->cut = 1;
    jb->lease_ms = 0;
    if (!jb->limit) jb->limit = "killed";
    kill_group(jb->pid);
}

/* What became of the calls with one tag; with "cancel": true, running ones are cut first. */
static void answer_calls(const jval *req, const jval *id) {
    char tag[MAX_TAG + 1];
    short_str(jget(req, "tag"), tag, MAX_TAG);
    if (!tag[0]) { send_error(id, "calls needs a tag"); return; }
    const jval *cancel = jget(req, "cancel");
    int running = 0, completed = 0, cut = 0;
    for (int i = 0; i < MAX_JOBS; i++) {
        job_t *jb = &jobs[i];
        if (!jb->used || strcmp(jb->tag, tag)) continue;
        if (!jb->exited && cancel && cancel->t == J_BOOL && cancel->b) cut_job(jb);
        running++;
    }
    const done_t *last = NULL;
    for (int k = 0; k < MAX_DONE; k++) {
        const done_t *d = &done_calls[(done_next + k) % MAX_DONE]; /* oldest first */
        if (!d->used || strcmp(d->tag, tag)) continue;
        if (d->cut) cut++;
        else { completed++; last = d; }
    }
    buf_t b = {0};
    buf_str(&b, "{\"id\":");
    jw_value(&b, id);
    buf_fmt(&b, ",\"result\":{\"running\":%d,\"completed\":%d,\"cut\":%d,\"exitCode\":", running, completed, cut);
    if (last && last->has_code) buf_fmt(&b, "%d", last->code);
    else buf_str(&b, "null");
    buf_str(&b, ",\"signal\":");
    if (last && last->sig[0]) jw_str(&b, last->sig, strlen(last->sig));
    else buf_str(&b, "null");
    buf_str(&b, ",\"limit\":");
    if (last && last->limit) jw_str(&b, last->limit, strlen(last->limit));
    else buf_str(&b, "null");
    buf_str(&b, "}}");
    send_line(&b);
    buf_free(&b);
}

static void handle_line(const char *line, size_t len) {
    jval req;
    if (jparse(line, len, &req)) { send_error(NULL, "request is not JSON"); return; }
    if (req.t != J_OBJ) { send_error(NULL, "request is not an object"); jfree(&req); return; }
    const jval *id = jget(&req, "id");
    const jval *op = jget(&req, "op");
    if (is_str(op, "ping")) {
        buf_t b = {0};
        buf_str(&b, "{\"id\":");
        jw_value(&b, id);
        buf_fmt(&b, ",\"result\":{\"pong\":true,\"pid\":%d,\"uid\":%d,\"helper\":\"c\"}}", (int)getpid(), (int)getuid());
        send_line(&b);
        buf_free(&b);
    } else if (is_str(op, "exec")) {
        start_exec(&req, id);
    } else if (is_str(op, "lease")) {
        renew_lease(&req, id);
    } else if (is_str(op, "calls")) {
        answer_calls(&req, id);
    } else {
        send_error(id, "unknown op");
    }
    jfree(&req);
}

/* ---------------------------------------------------------------- event loop */

static void reap(void) {
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return; /* as PID 1, orphans of any program are reaped here too */
        for (int i = 0; i < MAX_JOBS; i++) {
            if (jobs[i].used && jobs[i].pid == pid && !jobs[i].exited) {
                jobs[i].exited = 1;
                jobs[i].status = status;
                jobs[i].exited_at = now_ms();
                kill_group(pid); /* background descendants would keep the pipes open */
            }
        }
    }
}

static void pump(job_t *jb, int *fd, collector *c) {
    char chunk[65536];
    for (int rounds = 0; rounds < 16 && *fd >= 0; rounds++) {
        ssize_t r = read(*fd, chunk, sizeof chunk);
        if (r > 0) { collect(jb, c, chunk, (size_t)r); continue; }
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
        close_fd(fd); /* EOF or error */
    }
}

static void feed(job_t *jb) {
    while (jb->fd_in >= 0 && jb->stdin_off < jb->stdin_len) {
        ssize_t w = write(jb->fd_in, jb->stdin_data + jb->stdin_off, jb->stdin_len - jb->stdin_off);
        if (w > 0) { jb->stdin_off += (size_t)w; continue; }
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) return;
        break; /* EPIPE: the program does not read its input */
    }
    close_fd(&jb->fd_in);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Programs run as our uid. On a Linux kernel (the bubblewrap backend) a non-dumpable
     * process's /proc/<pid>/fd and mem are closed to them; gVisor 20221219 does not enforce
     * this, so there a program can write lines into our stdout. The client ignores lines that
     * do not answer one of its own requests (random per-client ids); such a program is in the
     * same conversation's agent, the same trust domain as the calls it could disturb. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* Orphaned descendants come to us (not to bwrap's init) so kill_strays() can find them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK)) die("pipe");

    buf_t in = {0};
    int stdin_open = 1, discarding = 0;
    struct pollfd pfd[2 + 3 * MAX_JOBS];
    job_t *owner[2 + 3 * MAX_JOBS];
    int kind[2 + 3 * MAX_JOBS];

    for (;;) {
        int active = 0;
        for (int i = 0; i < MAX_JOBS; i++) active += jobs[i].used;
        if (!stdin_open && active == 0) {
            buf_free(&in);
            return 0;
        }

        double now = now_ms(), wake = -1;
        nfds_t n = 0;
        pfd[n] = (struct pollfd){sig_pipe[0], POLLIN, 0};
        owner[n] = NULL;
        kind[n++] = 0;
        if (stdin_open) {
            pfd[n] = (struct pollfd){0, POLLIN, 0};
            owner[n] = NULL;
            kind[n++] = 1;
        }
        for (int i = 0; i < MAX_JOBS; i++) {
            job_t *jb = &jobs[i];
            if (!jb->used) continue;
            if (jb->fd_out >= 0) { pfd[n] = (struct pollfd){jb->fd_out, POLLIN, 0}; owner[n] = jb; kind[n++] = 2; }
            if (jb->fd_err >= 0) { pfd[n] = (struct pollfd){jb->fd_err, POLLIN, 0}; owner[n] = jb; kind[n++] = 3; }
            if (jb->fd_in >= 0) { pfd[n] = (struct pollfd){jb->fd_in, POLLOUT, 0}; owner[n] = jb; kind[n++] = 4; }
            double t = jb->exited ? jb->exited_at + DRAIN_GRACE_MS : jb->deadline;
            if (!jb->exited && jb->lease_ms > 0 && jb->lease_deadline < t) t = jb->lease_deadline;
            if (wake < 0 || t < wake) wake = t;
        }
        int timeout = wake < 0 ? -1 : (wake <= now ? 0 : (int)(wake - now) + 1);
        int ready = poll(pfd, n, timeout);
        if (ready < 0 && errno != EINTR) die("poll");

        for (nfds_t i = 0; ready > 0 && i < n; i++) {
            if (!pfd[i].revents) continue;
            job_t *jb = owner[i];
            switch (kind[i]) {
            case 0: {
                char drain[64];
                while (read(sig_pipe[0], drain, sizeof drain) > 0) {}
                break;
            }
            case 1: {
                char chunk[65536];
                ssize_t r = read(0, chunk, sizeof chunk);
                if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                    /* stdin stays open across detaches; EOF means the agent is done. A last request
                     * without its newline is still a request. */
                    stdin_open = 0;
                    if (!discarding && in.len > 0 && in.len <= MAX_LINE) handle_line(in.p, in.len);
                    in.len = 0;
                    break;
                }
                if (r < 0) break;
                size_t start = in.len;
                buf_add(&in, chunk, (size_t)r);
                size_t line_start = 0;
                for (size_t k = start; k < in.len; k++) {
                    if (in.p[k] != '\n') continue;
                    if (discarding) discarding = 0;
                    else {
                        size_t a = line_start, b = k;
                        while (a < b && (in.p[a] == ' ' || in.p[a] == '\r' || in.p[a] == '\t')) a++;
                        while (b > a && (in.p[b - 1] == ' ' || in.p[b - 1] == '\r' || in.p[b - 1] == '\t')) b--;
                        if (b > a) handle_line(in.p + a, b - a);
                    }
                    line_start = k + 1;
                }
                memmove(in.p, in.p + line_start, in.len - line_start);
                in.len -= line_start;
                if (in.len > MAX_LINE) {
                    if (!discarding) send_error(NULL, "request too large");
                    discarding = 1;
                    in.len = 0;
                }
                break;
            }
            case 2: pump(jb, &jb->fd_out, &jb->out); break;
            case 3: pump(jb, &jb->fd_err, &jb->err); break;
            case 4: feed(jb); break;
            }
        }

        reap();
        now = now_ms();
        for (int i = 0; i < MAX_JOBS; i++) {
            job_t *jb = &jobs[i];
            if (!jb->used) continue;
            /* Nobody renewed this call's lease: its gateway is gone, so stop it. */
            if (!jb->exited && jb->lease_ms > 0 && now >= jb->lease_deadline) cut_job(jb);
            if (!jb->exited && now >= jb->deadline) {
                if (!jb->limit) jb->limit = "timeout";
                kill_group(jb->pid);
                jb->deadline = now + DRAIN_GRACE_MS; /* the kill is in flight; if it is still alive then, again */
            }
            if (jb->exited && ((jb->fd_out < 0 && jb->fd_err < 0) || now >= jb->exited_at + DRAIN_GRACE_MS)) finish_job(jb);
        }
    }
}
