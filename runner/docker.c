/*
 * docker: the Docker Engine API client on libcurl. See docker.h.
 *
 * Every request goes through request(): one easy handle per client (kept
 * for connection reuse), options set afresh each time, a connect timeout
 * and a whole-call timeout always. Answers are read into a Buf and parsed
 * with common/jsonread; the streaming endpoints (pull, import) parse their
 * JSON lines as they come.
 */
#include "runner/docker.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

#include "common/json.h"
#include "common/jsonread.h"

#define CONNECT_TIMEOUT_MS 5000L
#define CALL_TIMEOUT_MS 30000L /* inspect, list, start, ... */
#define CREATE_TIMEOUT_MS 60000L
#define REMOVE_TIMEOUT_MS 60000L /* kill + remove of a busy server */
#define LOGS_TIMEOUT_MS 10000L
#define PULL_TIMEOUT_MS 900000L /* 15 min for a real registry */
#define IMPORT_TIMEOUT_MS 900000L
#define MAX_ANSWER (64u << 20) /* answers larger than this are an error */

struct DockerClient {
    CURL *curl;
    char *host;      /* as given: "unix:///var/run/docker.sock", "tcp://h:p" */
    char *sock;      /* unix socket path, NULL for tcp */
    char *base;      /* "http://localhost" or "http://h:p" */
    char api[16];    /* negotiated, "1.41"; "" before */
    char engine[64]; /* engine version from /version */
    char **secrets;  /* scrubbed from messages; owned */
    size_t nsecrets, capsecrets;
    char curl_err[CURL_ERROR_SIZE];
};

/* ---- secrets ------------------------------------------------------------ */

void docker_add_secret(DockerClient *dc, const char *s)
{
    if (!dc || !s || !*s) return;
    *ARRAY_PUSH(dc->secrets, dc->nsecrets, dc->capsecrets) = xstrdup(s);
}

/* Replaces every secret in s (NUL-terminated, edited in place) by "***". */
static void scrub(const DockerClient *dc, char *s)
{
    if (!s) return;
    for (size_t i = 0; i < dc->nsecrets; i++) {
        const char *sec = dc->secrets[i];
        size_t sl = strlen(sec);
        if (sl < 3) continue;
        char *p;
        while ((p = strstr(s, sec)) != NULL) {
            memcpy(p, "***", 3);
            memmove(p + 3, p + sl, strlen(p + sl) + 1);
        }
    }
}

static int fail(const DockerClient *dc, Err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const DockerClient *dc, Err *err, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->code = 3;
    scrub(dc, err->msg);
    return -1;
}

/* ---- requests ----------------------------------------------------------- */

static size_t write_buf(char *ptr, size_t size, size_t nmemb, void *ud)
{
    Buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n > MAX_ANSWER) return 0; /* curl reports a write error */
    buf_append(b, ptr, n);
    return n;
}

/* Sets the options every request shares; url is base + (/vAPI) + path. */
static void setup(DockerClient *dc, const char *method, const char *path, long timeout_ms)
{
    CURL *c = dc->curl;
    curl_easy_reset(c);
    char *url = dc->api[0] ? xasprintf("%s/v%s%s", dc->base, dc->api, path)
                           : xasprintf("%s%s", dc->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    free(url);
    if (dc->sock) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, dc->sock);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, dc->curl_err);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "lockmatrix");
    dc->curl_err[0] = '\0';
}

/* Docker's message text from an error answer ({"message": "..."}), else the
 * answer itself, trimmed; malloc'd. */
static char *answer_message(const Buf *resp)
{
    if (!resp->data || resp->len == 0) return xstrdup("(no message)");
    Err jerr = {0};
    JsonNode *j = jsonread_parse(resp->data, resp->len, &jerr);
    const char *m = jsonread_str(jsonread_get(j, "message"));
    char *out;
    if (m) {
        out = xstrdup(m);
    } else {
        size_t n = resp->len;
        while (n > 0 && (resp->data[n - 1] == '\n' || resp->data[n - 1] == '\r'))
            n--;
        out = xstrndup(resp->data, n > 300 ? 300 : n);
    }
    jsonread_free(j);
    return out;
}

static int transport_error(DockerClient *dc, CURLcode rc, const char *method, const char *path,
                           Err *err)
{
    const char *why = dc->curl_err[0] ? dc->curl_err : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return fail(dc, err, "docker engine at \"%s\": %s %s: timed out (%s)", dc->host, method,
                    path, why);
    return fail(dc, err, "docker engine at \"%s\": %s %s: %s", dc->host, method, path, why);
}

static int status_error(DockerClient *dc, long status, const Buf *resp, const char *method,
                        const char *path, Err *err)
{
    char *m = answer_message(resp);
    fail(dc, err, "docker engine: %s %s: HTTP %ld: %s", method, path, status, m);
    free(m);
    return -1;
}

/* One request with an optional JSON body; the answer goes to resp (reset
 * first) and the status to *status. -1 only for transport errors. */
static int request(DockerClient *dc, const char *method, const char *path, const char *json,
                   long timeout_ms, Buf *resp, long *status, Err *err)
{
    buf_reset(resp);
    setup(dc, method, path, timeout_ms);
    struct curl_slist *hdr = NULL;
    if (json) {
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        curl_easy_setopt(dc->curl, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(dc->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(dc->curl, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(dc->curl, CURLOPT_POSTFIELDSIZE, 0L);
    }
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(dc->curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(dc->curl, CURLOPT_WRITEFUNCTION, write_buf);
    curl_easy_setopt(dc->curl, CURLOPT_WRITEDATA, resp);
    CURLcode rc = curl_easy_perform(dc->curl);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) return transport_error(dc, rc, method, path, err);
    curl_easy_getinfo(dc->curl, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

/* A request whose success is one of the 2xx statuses; JSON answer parsed
 * into *out when out is given (free with jsonread_free). */
static int call(DockerClient *dc, const char *method, const char *path, const char *json,
                long timeout_ms, JsonNode **out, Err *err)
{
    Buf resp;
    buf_init(&resp);
    long status = 0;
    int rc = request(dc, method, path, json, timeout_ms, &resp, &status, err);
    if (rc == 0 && (status < 200 || status > 299))
        rc = status_error(dc, status, &resp, method, path, err);
    if (rc == 0 && out) {
        Err jerr = {0};
        *out = jsonread_parse(resp.data ? resp.data : "", resp.len, &jerr);
        if (!*out) rc = fail(dc, err, "docker engine: %s %s: %s", method, path, jerr.msg);
    }
    buf_free(&resp);
    return rc;
}

/* "?" or "&" then key=escaped(value), appended to b. */
static void query_add(DockerClient *dc, Buf *b, const char *key, const char *value)
{
    char *v = curl_easy_escape(dc->curl, value, 0);
    buf_printf(b, "%c%s=%s", strchr(b->data ? b->data : "", '?') ? '&' : '?', key, v);
    curl_free(v);
}

/* ---- open / close --------------------------------------------------------- */

/* A plain connect() to the socket, for a precise reason when curl cannot. */
static int probe_unix(const char *path, Err *err, const char *host)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return err_set(err, EXIT_ENV,
                       "cannot reach the Docker engine at \"%s\": socket path too long", host);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_set(err, EXIT_ENV, "cannot reach the Docker engine at \"%s\": %s", host,
                       strerror(errno));
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    int e = errno;
    close(fd);
    if (rc < 0)
        return err_set(err, EXIT_ENV,
                       "cannot reach the Docker engine at \"%s\": %s\n"
                       "hint: start it (scripts/docker-setup.sh installs and starts dockerd) "
                       "or point DOCKER_HOST at a running engine",
                       host, strerror(e));
    return 0;
}

/* Compares "1.41" style versions. */
static int api_cmp(const char *a, const char *b)
{
    int amaj = 0, amin = 0, bmaj = 0, bmin = 0;
    sscanf(a, "%d.%d", &amaj, &amin);
    sscanf(b, "%d.%d", &bmaj, &bmin);
    if (amaj != bmaj) return amaj < bmaj ? -1 : 1;
    return amin < bmin ? -1 : amin > bmin;
}

DockerClient *docker_open(const char *host, const char *api, Err *err)
{
    static bool curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
            err_set(err, EXIT_ENV, "could not initialise libcurl");
            return NULL;
        }
        curl_ready = true;
    }
    if (!host || !*host) host = getenv("DOCKER_HOST");
    if (!host || !*host) host = DOCKER_DEFAULT_HOST;

    DockerClient *dc = xcalloc(1, sizeof(*dc));
    dc->host = xstrdup(host);
    if (strncmp(host, "unix://", 7) == 0) {
        dc->sock = xstrdup(host + 7);
        dc->base = xstrdup("http://localhost");
    } else if (strncmp(host, "tcp://", 6) == 0 && getenv("DOCKER_TLS_VERIFY") &&
               *getenv("DOCKER_TLS_VERIFY")) {
        err_set(err, EXIT_ENV,
                "cannot reach the Docker engine at \"%s\": TLS (DOCKER_TLS_VERIFY) is not "
                "supported\nhint: use the engine's Unix socket, or a plain tcp:// endpoint on a "
                "trusted network",
                host);
        docker_close(dc);
        return NULL;
    } else if (strncmp(host, "tcp://", 6) == 0 || strncmp(host, "http://", 7) == 0) {
        const char *hp = host + (host[0] == 't' ? 6 : 7);
        size_t n = strcspn(hp, "/");
        dc->base = xasprintf("http://%.*s", (int)n, hp);
    } else {
        err_set(err, EXIT_ENV,
                "cannot reach the Docker engine at \"%s\": unsupported DOCKER_HOST (expected "
                "unix:///path or tcp://host:port)",
                host);
        docker_close(dc);
        return NULL;
    }
    dc->curl = curl_easy_init();
    if (!dc->curl) {
        err_set(err, EXIT_ENV, "could not initialise libcurl");
        docker_close(dc);
        return NULL;
    }
    if (dc->sock && probe_unix(dc->sock, err, host) < 0) {
        docker_close(dc);
        return NULL;
    }

    Buf resp;
    buf_init(&resp);
    long status = 0;
    Err e = {0};
    if (request(dc, "GET", "/_ping", NULL, 5000L, &resp, &status, &e) < 0) {
        err_set(err, EXIT_ENV,
                "cannot reach the Docker engine at \"%s\": %s\n"
                "hint: start it (scripts/docker-setup.sh installs and starts dockerd) "
                "or point DOCKER_HOST at a running engine",
                host, dc->curl_err[0] ? dc->curl_err : e.msg);
        buf_free(&resp);
        docker_close(dc);
        return NULL;
    }
    if (status != 200) {
        char *m = answer_message(&resp);
        err_set(err, EXIT_ENV, "cannot reach the Docker engine at \"%s\": GET /_ping: HTTP %ld: %s",
                host, status, m);
        free(m);
        buf_free(&resp);
        docker_close(dc);
        return NULL;
    }
    buf_free(&resp);

    if (api && *api) {
        snprintf(dc->api, sizeof(dc->api), "%s", api);
        return dc;
    }
    JsonNode *v = NULL;
    if (call(dc, "GET", "/version", NULL, 5000L, &v, &e) < 0) {
        err_set(err, EXIT_ENV, "cannot reach the Docker engine at \"%s\": %s", host, e.msg);
        docker_close(dc);
        return NULL;
    }
    const char *theirs = jsonread_str(jsonread_get(v, "ApiVersion"));
    const char *ver = jsonread_str(jsonread_get(v, "Version"));
    snprintf(dc->engine, sizeof(dc->engine), "%s", ver ? ver : "?");
    if (!theirs) {
        snprintf(dc->api, sizeof(dc->api), "%s", DOCKER_API_MIN);
    } else if (api_cmp(theirs, DOCKER_API_MIN) < 0) {
        err_set(err, EXIT_ENV,
                "the Docker engine at \"%s\" (version %s) speaks API %s, older than the %s "
                "lockmatrix needs",
                host, dc->engine, theirs, DOCKER_API_MIN);
        jsonread_free(v);
        docker_close(dc);
        return NULL;
    } else {
        snprintf(dc->api, sizeof(dc->api), "%s",
                 api_cmp(theirs, DOCKER_API_MAX) > 0 ? DOCKER_API_MAX : theirs);
    }
    jsonread_free(v);
    return dc;
}

void docker_close(DockerClient *dc)
{
    if (!dc) return;
    if (dc->curl) curl_easy_cleanup(dc->curl);
    for (size_t i = 0; i < dc->nsecrets; i++) {
        explicit_bzero(dc->secrets[i], strlen(dc->secrets[i]));
        free(dc->secrets[i]);
    }
    free(dc->secrets);
    free(dc->host);
    free(dc->sock);
    free(dc->base);
    free(dc);
}

const char *docker_host(const DockerClient *dc)
{
    return dc->host;
}

const char *docker_api_version(const DockerClient *dc)
{
    return dc->api;
}

const char *docker_engine_version(const DockerClient *dc)
{
    return dc->engine;
}

/* ---- images --------------------------------------------------------------- */

/* GET /images/<image>/json into *j (NULL when the image does not exist):
 * 1 when it exists, 0 when not, -1 on error. */
static int image_inspect(DockerClient *dc, const char *image, JsonNode **j, Err *err)
{
    *j = NULL;
    char *path = xasprintf("/images/%s/json", image);
    Buf resp;
    buf_init(&resp);
    long status = 0;
    int rc = request(dc, "GET", path, NULL, CALL_TIMEOUT_MS, &resp, &status, err);
    if (rc == 0) {
        if (status == 404) {
            rc = 0;
        } else if (status != 200) {
            rc = status_error(dc, status, &resp, "GET", path, err);
        } else {
            rc = 1;
            Err jerr = {0};
            *j = jsonread_parse(resp.data, resp.len, &jerr);
        }
    }
    buf_free(&resp);
    free(path);
    return rc;
}

int docker_image_label(DockerClient *dc, const char *image, const char *key, char **value, Err *err)
{
    if (value) *value = NULL;
    JsonNode *j = NULL;
    int rc = image_inspect(dc, image, &j, err);
    if (rc == 1 && key && value) {
        const char *l = jsonread_str(jsonread_get(jsonread_path(j, "Config", "Labels", NULL), key));
        if (l) *value = xstrdup(l);
    }
    jsonread_free(j);
    return rc;
}

int docker_image_data_dir(DockerClient *dc, const char *image, char **dir, Err *err)
{
    *dir = NULL;
    JsonNode *j = NULL;
    int rc = image_inspect(dc, image, &j, err);
    if (rc != 1) {
        jsonread_free(j);
        return rc;
    }
    const JsonNode *env = jsonread_path(j, "Config", "Env", NULL);
    const char *pgdata = NULL;
    for (size_t i = 0; env && i < env->len; i++) {
        const char *e = jsonread_str(jsonread_at(env, i));
        if (e && strncmp(e, "PGDATA=", 7) == 0 && e[7] == '/') pgdata = e + 7;
    }
    if (pgdata) {
        /* the longest declared volume that holds PGDATA */
        const JsonNode *vols = jsonread_path(j, "Config", "Volumes", NULL);
        size_t best = 0;
        for (size_t i = 0; vols && vols->type == JSONR_OBJECT && i < vols->len; i++) {
            const char *v = vols->keys[i];
            size_t n = strlen(v);
            while (n > 1 && v[n - 1] == '/')
                n--;
            if (n > best && strncmp(pgdata, v, n) == 0 && (pgdata[n] == '\0' || pgdata[n] == '/')) {
                best = n;
                free(*dir);
                *dir = xstrndup(v, n);
            }
        }
        /* else the directory PGDATA is in, when that is not the root */
        const char *slash = strrchr(pgdata, '/');
        if (!*dir && slash && slash != pgdata) *dir = xstrndup(pgdata, (size_t)(slash - pgdata));
    }
    jsonread_free(j);
    return 1;
}

int docker_image_exists(DockerClient *dc, const char *image, Err *err)
{
    return docker_image_label(dc, image, NULL, NULL, err);
}

/* Splits "repo:tag" / "repo@sha256:..." / "repo" (tag "latest"). malloc'd. */
static void split_ref(const char *image, char **repo, char **tag)
{
    const char *at = strchr(image, '@');
    if (at) {
        *repo = xstrdup(image);
        *tag = NULL;
        return;
    }
    const char *colon = strrchr(image, ':');
    if (colon && !strchr(colon, '/')) {
        *repo = xstrndup(image, (size_t)(colon - image));
        *tag = xstrdup(colon + 1);
    } else {
        *repo = xstrdup(image);
        *tag = xstrdup("latest");
    }
}

/* The JSON-lines stream of /images/create (pull and import): each line is
 * an object; errors arrive as {"error": "...", "errorDetail": {...}} with
 * status 200. */
typedef struct Stream {
    DockerClient *dc;
    Buf line;    /* the incomplete line so far */
    Buf all;     /* the whole answer, for non-2xx statuses (capped) */
    char *error; /* the first error of the stream; owned */
    char *last_status;
    bool progress; /* print progress lines to stderr */
    const char *what;
} Stream;

static void stream_line(Stream *st, const char *s, size_t n)
{
    if (n == 0) return;
    Err jerr = {0};
    JsonNode *j = jsonread_parse(s, n, &jerr);
    if (!j) return;
    const char *e = jsonread_str(jsonread_get(j, "error"));
    if (!e) e = jsonread_str(jsonread_path(j, "errorDetail", "message", NULL));
    if (e && !st->error) st->error = xstrdup(e);
    const char *status = jsonread_str(jsonread_get(j, "status"));
    if (status) {
        free(st->last_status);
        st->last_status = xstrdup(status);
    }
    if (st->progress && status) {
        const char *id = jsonread_str(jsonread_get(j, "id"));
        const char *prog = jsonread_str(jsonread_get(j, "progress"));
        fprintf(stderr, "\r\033[K%s: %s%s%s%s%s", st->what, id ? id : "", id ? " " : "", status,
                prog ? " " : "", prog ? prog : "");
        fflush(stderr);
    }
    jsonread_free(j);
}

static size_t stream_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    Stream *st = ud;
    size_t n = size * nmemb;
    if (st->all.len < 65536) buf_append(&st->all, ptr, n);
    for (size_t i = 0; i < n; i++) {
        if (ptr[i] == '\n') {
            stream_line(st, st->line.data ? st->line.data : "", st->line.len);
            buf_reset(&st->line);
        } else {
            buf_putc(&st->line, ptr[i]);
        }
    }
    return n;
}

static void stream_free(Stream *st)
{
    buf_free(&st->line);
    buf_free(&st->all);
    free(st->error);
    free(st->last_status);
}

/* Performs the prepared streaming request and turns its outcome into 0/-1. */
static int stream_perform(DockerClient *dc, Stream *st, const char *path, Err *err)
{
    curl_easy_setopt(dc->curl, CURLOPT_WRITEFUNCTION, stream_write);
    curl_easy_setopt(dc->curl, CURLOPT_WRITEDATA, st);
    CURLcode rc = curl_easy_perform(dc->curl);
    if (st->line.len) stream_line(st, st->line.data, st->line.len);
    if (st->progress) fprintf(stderr, "\r\033[K");
    if (rc != CURLE_OK) return transport_error(dc, rc, "POST", path, err);
    long status = 0;
    curl_easy_getinfo(dc->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) return status_error(dc, status, &st->all, "POST", path, err);
    if (st->error) return fail(dc, err, "docker engine: POST %s: %s", path, st->error);
    return 0;
}

int docker_image_pull(DockerClient *dc, const char *image, bool progress, Err *err)
{
    char *repo, *tag;
    split_ref(image, &repo, &tag);
    Buf path;
    buf_init(&path);
    buf_puts(&path, "/images/create");
    query_add(dc, &path, "fromImage", repo);
    if (tag) query_add(dc, &path, "tag", tag);
    free(repo);
    free(tag);

    Stream st = {.dc = dc, .progress = progress};
    buf_init(&st.line);
    buf_init(&st.all);
    char *what = xasprintf("pulling %s", image);
    st.what = what;
    setup(dc, "POST", path.data, PULL_TIMEOUT_MS);
    curl_easy_setopt(dc->curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(dc->curl, CURLOPT_POSTFIELDSIZE, 0L);
    int rc = stream_perform(dc, &st, "/images/create", err);
    if (rc == 0 && progress) fprintf(stderr, "pulled %s\n", image);
    stream_free(&st);
    free(what);
    buf_free(&path);
    return rc;
}

/* ---- import: tar from fd, gzip with zlib, streamed ------------------------ */

typedef struct Deflater {
    int fd;
    z_stream zs;
    unsigned char in[1 << 16];
    bool eof;
    bool done;
    int read_errno;
    unsigned long long bytes_in;
} Deflater;

static size_t deflate_read(char *buffer, size_t size, size_t nitems, void *ud)
{
    Deflater *d = ud;
    size_t room = size * nitems;
    if (d->done) return 0;
    d->zs.next_out = (unsigned char *)buffer;
    d->zs.avail_out = (uInt)room;
    while (d->zs.avail_out == room) {
        if (d->zs.avail_in == 0 && !d->eof) {
            ssize_t r;
            do
                r = read(d->fd, d->in, sizeof(d->in));
            while (r < 0 && errno == EINTR);
            if (r < 0) {
                d->read_errno = errno;
                return CURL_READFUNC_ABORT;
            }
            if (r == 0) d->eof = true;
            d->zs.next_in = d->in;
            d->zs.avail_in = (uInt)r;
            d->bytes_in += (unsigned long long)r;
        }
        int zr = deflate(&d->zs, d->eof ? Z_FINISH : Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            d->done = true;
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) return CURL_READFUNC_ABORT;
    }
    return room - d->zs.avail_out;
}

static void changes_add(DockerClient *dc, Buf *path, const char *const *changes, int n)
{
    for (int i = 0; i < n; i++)
        query_add(dc, path, "changes", changes[i]);
}

int docker_image_import(DockerClient *dc, int fd, const char *repo, const char *tag,
                        const char *const *changes, int nchanges, Err *err)
{
    Deflater *d = xcalloc(1, sizeof(*d));
    d->fd = fd;
    if (deflateInit2(&d->zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(d);
        return err_set(err, EXIT_ENV, "could not initialise zlib");
    }
    /* the first block before the request: an empty stream is an error,
     * not an empty image */
    ssize_t r;
    do
        r = read(fd, d->in, sizeof(d->in));
    while (r < 0 && errno == EINTR);
    if (r <= 0) {
        int e = errno;
        deflateEnd(&d->zs);
        free(d);
        return err_set(err, EXIT_ENV, "could not read the image tarball: %s",
                       r < 0 ? strerror(e) : "it is empty");
    }
    d->zs.next_in = d->in;
    d->zs.avail_in = (uInt)r;
    d->bytes_in = (unsigned long long)r;

    Buf path;
    buf_init(&path);
    buf_puts(&path, "/images/create");
    query_add(dc, &path, "fromSrc", "-");
    query_add(dc, &path, "repo", repo);
    query_add(dc, &path, "tag", tag);
    changes_add(dc, &path, changes, nchanges);

    Stream st = {.dc = dc, .what = "importing"};
    buf_init(&st.line);
    buf_init(&st.all);
    setup(dc, "POST", path.data, IMPORT_TIMEOUT_MS);
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, "Content-Type: application/x-tar");
    hdr = curl_slist_append(hdr, "Transfer-Encoding: chunked");
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(dc->curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(dc->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(dc->curl, CURLOPT_READFUNCTION, deflate_read);
    curl_easy_setopt(dc->curl, CURLOPT_READDATA, d);
    int rc = stream_perform(dc, &st, "/images/create?fromSrc=-", err);
    if (rc < 0 && d->read_errno)
        rc = fail(dc, err, "could not read the image tarball: %s", strerror(d->read_errno));
    curl_slist_free_all(hdr);
    deflateEnd(&d->zs);
    free(d);
    stream_free(&st);
    buf_free(&path);
    return rc;
}

int docker_commit(DockerClient *dc, const char *id, const char *repo, const char *tag,
                  const char *const *changes, int nchanges, Err *err)
{
    Buf path;
    buf_init(&path);
    buf_puts(&path, "/commit");
    query_add(dc, &path, "container", id);
    query_add(dc, &path, "repo", repo);
    query_add(dc, &path, "tag", tag);
    changes_add(dc, &path, changes, nchanges);
    int rc = call(dc, "POST", path.data, "{}", CREATE_TIMEOUT_MS, NULL, err);
    buf_free(&path);
    return rc;
}

int docker_image_remove(DockerClient *dc, const char *image, Err *err)
{
    char *path = xasprintf("/images/%s?force=1", image);
    Buf resp;
    buf_init(&resp);
    long status = 0;
    int rc = request(dc, "DELETE", path, NULL, CALL_TIMEOUT_MS, &resp, &status, err);
    if (rc == 0 && status != 200 && status != 404)
        rc = status_error(dc, status, &resp, "DELETE", path, err);
    buf_free(&resp);
    free(path);
    return rc;
}

/* ---- containers ------------------------------------------------------------ */

static void json_strs(JsonW *w, const char *key, const char *const *v, int n)
{
    json_key(w, key);
    json_arr_begin(w);
    for (int i = 0; i < n; i++)
        json_str(w, v[i]);
    json_arr_end(w);
}

int docker_container_create(DockerClient *dc, const DockerCreate *o, char **id, Err *err)
{
    *id = NULL;
    Buf body;
    buf_init(&body);
    JsonW w;
    json_init(&w, &body, false);
    json_obj_begin(&w);
    json_key(&w, "Image");
    json_str(&w, o->image);
    if (o->nenv) json_strs(&w, "Env", o->env, o->nenv);
    if (o->cmd) json_strs(&w, "Cmd", o->cmd, o->ncmd);
    if (o->entrypoint) json_strs(&w, "Entrypoint", o->entrypoint, o->nentrypoint);
    json_key(&w, "Labels");
    json_obj_begin(&w);
    for (int i = 0; i < o->nlabels; i++) {
        const char *eq = strchr(o->labels[i], '=');
        char *k = eq ? xstrndup(o->labels[i], (size_t)(eq - o->labels[i])) : xstrdup(o->labels[i]);
        json_key(&w, k);
        json_str(&w, eq ? eq + 1 : "");
        free(k);
    }
    json_obj_end(&w);
    char port[32];
    snprintf(port, sizeof(port), "%d/tcp", o->publish_port);
    if (o->publish_port) {
        json_key(&w, "ExposedPorts");
        json_obj_begin(&w);
        json_key(&w, port);
        json_obj_begin(&w);
        json_obj_end(&w);
        json_obj_end(&w);
    }
    json_key(&w, "HostConfig");
    json_obj_begin(&w);
    if (o->publish_port) {
        json_key(&w, "PortBindings");
        json_obj_begin(&w);
        json_key(&w, port);
        json_arr_begin(&w);
        json_obj_begin(&w);
        json_key(&w, "HostIp");
        json_str(&w, "127.0.0.1");
        json_key(&w, "HostPort");
        json_str(&w, "");
        json_obj_end(&w);
        json_arr_end(&w);
        json_obj_end(&w);
    }
    if (o->tmpfs) {
        json_key(&w, "Tmpfs");
        json_obj_begin(&w);
        json_key(&w, o->tmpfs);
        json_str(&w, "rw");
        json_obj_end(&w);
    }
    json_obj_end(&w);
    json_obj_end(&w);

    Buf path;
    buf_init(&path);
    buf_puts(&path, "/containers/create");
    if (o->name) query_add(dc, &path, "name", o->name);
    JsonNode *j = NULL;
    int rc = call(dc, "POST", path.data, body.data, CREATE_TIMEOUT_MS, &j, err);
    explicit_bzero(body.data, body.len);
    buf_free(&body);
    buf_free(&path);
    if (rc < 0) return -1;
    const char *cid = jsonread_str(jsonread_get(j, "Id"));
    if (!cid) {
        jsonread_free(j);
        return fail(dc, err, "docker engine: POST /containers/create: no Id in the answer");
    }
    *id = xstrdup(cid);
    jsonread_free(j);
    return 0;
}

int docker_container_start(DockerClient *dc, const char *id, Err *err)
{
    char *path = xasprintf("/containers/%s/start", id);
    Buf resp;
    buf_init(&resp);
    long status = 0;
    int rc = request(dc, "POST", path, NULL, CALL_TIMEOUT_MS, &resp, &status, err);
    if (rc == 0 && status != 204 && status != 304)
        rc = status_error(dc, status, &resp, "POST", path, err);
    buf_free(&resp);
    free(path);
    return rc;
}

void docker_state_free(DockerState *st)
{
    free(st->status);
    free(st->error);
    free(st->owner);
    free(st->host);
    memset(st, 0, sizeof(*st));
}

int docker_container_inspect(DockerClient *dc, const char *id, int port, DockerState *st, Err *err)
{
    memset(st, 0, sizeof(*st));
    char *path = xasprintf("/containers/%s/json", id);
    Buf resp;
    buf_init(&resp);
    long status = 0;
    int rc = request(dc, "GET", path, NULL, CALL_TIMEOUT_MS, &resp, &status, err);
    if (rc == 0 && status == 404) {
        rc = 1;
    } else if (rc == 0 && status != 200) {
        rc = status_error(dc, status, &resp, "GET", path, err);
    } else if (rc == 0) {
        Err jerr = {0};
        JsonNode *j = jsonread_parse(resp.data, resp.len, &jerr);
        if (!j) {
            rc = fail(dc, err, "docker engine: GET %s: %s", path, jerr.msg);
        } else {
            const JsonNode *s = jsonread_get(j, "State");
            st->running = jsonread_true(jsonread_get(s, "Running"));
            st->exit_code = (int)jsonread_num(jsonread_get(s, "ExitCode"), 0);
            st->status = xstrdup(jsonread_str(jsonread_get(s, "Status")));
            st->error = xstrdup(jsonread_str(jsonread_get(s, "Error")));
            if (!st->status) st->status = xstrdup("");
            if (!st->error) st->error = xstrdup("");
            const JsonNode *labels = jsonread_path(j, "Config", "Labels", NULL);
            st->owner = xstrdup(jsonread_str(jsonread_get(labels, DOCKER_LABEL_OWNER)));
            st->host = xstrdup(jsonread_str(jsonread_get(labels, DOCKER_LABEL_HOST)));
            if (port) {
                char key[32];
                snprintf(key, sizeof(key), "%d/tcp", port);
                const JsonNode *b =
                    jsonread_get(jsonread_path(j, "NetworkSettings", "Ports", NULL), key);
                for (size_t i = 0; b && i < b->len; i++) {
                    const char *hp = jsonread_str(jsonread_get(jsonread_at(b, i), "HostPort"));
                    if (hp && atoi(hp) > 0) {
                        st->host_port = atoi(hp);
                        break;
                    }
                }
            }
            jsonread_free(j);
        }
    }
    buf_free(&resp);
    free(path);
    return rc;
}

int docker_container_logs(DockerClient *dc, const char *id, int tail, char **out, Err *err)
{
    *out = NULL;
    char *path = xasprintf("/containers/%s/logs?stdout=1&stderr=1&tail=%d", id, tail);
    Buf resp;
    buf_init(&resp);
    long status = 0;
    int rc = request(dc, "GET", path, NULL, LOGS_TIMEOUT_MS, &resp, &status, err);
    if (rc == 0 && status != 200) rc = status_error(dc, status, &resp, "GET", path, err);
    if (rc == 0) {
        /* Without a TTY the answer is multiplexed: frames of an 8-byte header
         * (stream 0/1/2, three zero bytes, big-endian size) and the payload. */
        Buf text;
        buf_init(&text);
        const unsigned char *p = (const unsigned char *)(resp.data ? resp.data : "");
        size_t n = resp.len, i = 0;
        bool framed = n >= 8 && p[0] <= 2 && p[1] == 0 && p[2] == 0 && p[3] == 0;
        if (!framed) {
            buf_append(&text, p, n);
        } else {
            while (i + 8 <= n) {
                size_t len = ((size_t)p[i + 4] << 24) | ((size_t)p[i + 5] << 16) |
                             ((size_t)p[i + 6] << 8) | p[i + 7];
                i += 8;
                if (len > n - i) len = n - i;
                buf_append(&text, p + i, len);
                i += len;
            }
        }
        *out = buf_steal(&text);
        scrub(dc, *out);
    }
    buf_free(&resp);
    free(path);
    return rc;
}

int docker_container_remove(DockerClient *dc, const char *id, Err *err)
{
    char *path = xasprintf("/containers/%s?force=1&v=1", id);
    Buf resp;
    buf_init(&resp);
    long status = 0;
    int rc = request(dc, "DELETE", path, NULL, REMOVE_TIMEOUT_MS, &resp, &status, err);
    if (rc == 0) {
        if (status == 204 || status == 200) {
            rc = 1;
        } else if (status == 404) {
            rc = 0;
        } else if (status == 409) {
            /* "removal already in progress": wait until it is gone */
            double deadline = now_ms() + REMOVE_TIMEOUT_MS;
            rc = -1;
            while (now_ms() < deadline) {
                DockerState st;
                Err e2 = {0};
                int r = docker_container_inspect(dc, id, 0, &st, &e2);
                docker_state_free(&st);
                if (r == 1) {
                    rc = 1;
                    break;
                }
                poll(NULL, 0, 100);
            }
            if (rc < 0) status_error(dc, status, &resp, "DELETE", path, err);
        } else {
            rc = status_error(dc, status, &resp, "DELETE", path, err);
        }
    }
    buf_free(&resp);
    free(path);
    return rc;
}

int docker_container_list(DockerClient *dc, const char *label, DockerContainerInfo **out, size_t *n,
                          Err *err)
{
    return docker_container_list_all(dc, &label, 1, out, n, err);
}

int docker_container_list_all(DockerClient *dc, const char *const *labels, int nlabels,
                              DockerContainerInfo **out, size_t *n, Err *err)
{
    *out = NULL;
    *n = 0;
    Buf filt;
    buf_init(&filt);
    JsonW w;
    json_init(&w, &filt, false);
    json_obj_begin(&w);
    json_key(&w, "label");
    json_arr_begin(&w);
    for (int i = 0; i < nlabels; i++)
        json_str(&w, labels[i]);
    json_arr_end(&w);
    json_obj_end(&w);
    Buf path;
    buf_init(&path);
    buf_puts(&path, "/containers/json?all=1");
    query_add(dc, &path, "filters", filt.data);
    buf_free(&filt);
    JsonNode *j = NULL;
    int rc = call(dc, "GET", path.data, NULL, CALL_TIMEOUT_MS, &j, err);
    buf_free(&path);
    if (rc < 0) return -1;
    if (j->type != JSONR_ARRAY) {
        jsonread_free(j);
        return fail(dc, err, "docker engine: GET /containers/json: not an array");
    }
    size_t cap = 0;
    for (size_t i = 0; i < j->len; i++) {
        const JsonNode *c = &j->kids[i];
        DockerContainerInfo *ci = ARRAY_PUSH(*out, *n, cap);
        memset(ci, 0, sizeof(*ci));
        ci->id = xstrdup(jsonread_str(jsonread_get(c, "Id")));
        const char *name = jsonread_str(jsonread_at(jsonread_get(c, "Names"), 0));
        ci->name = xstrdup(name ? (name[0] == '/' ? name + 1 : name) : "");
        ci->image = xstrdup(jsonread_str(jsonread_get(c, "Image")));
        ci->state = xstrdup(jsonread_str(jsonread_get(c, "State")));
        const JsonNode *labels = jsonread_get(c, "Labels");
        ci->run = xstrdup(jsonread_str(jsonread_get(labels, DOCKER_LABEL_RUN)));
        ci->owner = xstrdup(jsonread_str(jsonread_get(labels, DOCKER_LABEL_OWNER)));
        ci->host = xstrdup(jsonread_str(jsonread_get(labels, DOCKER_LABEL_HOST)));
        if (!ci->id) ci->id = xstrdup("");
    }
    jsonread_free(j);
    return 0;
}

void docker_list_free(DockerContainerInfo *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].id);
        free(list[i].name);
        free(list[i].image);
        free(list[i].state);
        free(list[i].run);
        free(list[i].owner);
        free(list[i].host);
    }
    free(list);
}
