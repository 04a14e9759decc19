/*
 * push-approval-audit: the auditor's tool for the trail of
 * ngx_http_push_approval_module.  Commands: export, verify, shipped,
 * follow.  See tools/push-approval-audit.1 and docs/audit-format.md.
 */

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"


#define PA_VERSION  "1"

/* which options a command takes */
#define PA_O_REDIS   0x01
#define PA_O_FILTER  0x02
#define PA_O_FORMAT  0x04
#define PA_O_PUBKEY  0x08
#define PA_O_FROM    0x10


typedef struct {
    const char      *name;
    unsigned         opts;
    const char      *usage;
} pa_cmd_t;


typedef struct {
    const pa_cmd_t  *cmd;
    pa_redis_opt_t   redis;
    pa_filter_t      flt;
    const char      *pubkey;
    const char      *from;
    char           **paths;
    int              npaths;
} pa_args_t;


static const char  pa_usage_main[] =
    "usage: push-approval-audit COMMAND [OPTIONS] [FILE|DIR...]\n"
    "\n"
    "The auditor's tool for the audit trail of ngx_http_push_approval_module"
    "\n(docs/audit-format.md).  Commands:\n"
    "\n"
    "  export    print events of a journal or of a Redis stream, filtered,\n"
    "            as canonical NDJSON lines or as CSV\n"
    "  verify    check the hash chains and signed checkpoints (exit 1 on\n"
    "            any break)\n"
    "  shipped   tell which journal segments are fully in the Redis stream\n"
    "  follow    print the stream's events as they arrive\n"
    "\n"
    "push-approval-audit COMMAND --help describes a command; man\n"
    "push-approval-audit describes all.\n"
    "Exit status: 0 good, 1 a break or a segment not shipped, 2 usage or\n"
    "I/O error.\n";

static const char  pa_redis_help[] =
    "  --redis HOST:PORT|unix:/PATH   the Redis server ([IPv6]:PORT too)\n"
    "  --password P     AUTH password (default: $REDISCLI_AUTH, if set)\n"
    "  --db N           the database (SELECT N), default 0\n"
    "  --stream NAME    the stream, default push_approval:events\n";

static const char  pa_filter_help[] =
    "  --since TIME     events at or after TIME\n"
    "  --until TIME     events at or before TIME\n"
    "                   TIME: Unix milliseconds, or ISO 8601 UTC such as\n"
    "                   2026-11-29, 2026-11-29T10:00:00Z,\n"
    "                   2026-11-29T10:00:00.250Z\n"
    "  --user NAME      events whose user is NAME\n"
    "  --id ID          events of approval (challenge) ID\n"
    "  --event EVENT    events of this kind (access, approved, ...)\n"
    "                   --user, --id and --event may be repeated: any of\n"
    "                   the values matches; different options all must\n"
    "  --format ndjson|csv   canonical lines (default), or CSV with a\n"
    "                   header of all fields, safe to open in spreadsheets\n";

static const pa_cmd_t  pa_cmds[] = {
    { "export", PA_O_REDIS | PA_O_FILTER | PA_O_FORMAT,
      "usage: push-approval-audit export [FILTERS] [--format ndjson|csv] "
      "FILE|DIR...\n"
      "       push-approval-audit export [FILTERS] [--format ndjson|csv] "
      "--redis ADDR\n"
      "              [--password P] [--db N] [--stream NAME]\n"
      "\n"
      "Prints the events of journal files (plain and rotated; a directory:\n"
      "its journal-*.ndjson[.N] files; compressed files are skipped with a\n"
      "note) or of a Redis stream, ordered by ts, writer, seq.  A line that\n"
      "is not canonical is left out with a note on stderr.\n" },
    { "verify", PA_O_REDIS | PA_O_PUBKEY,
      "usage: push-approval-audit verify --pubkey FILE.pub FILE|DIR...\n"
      "       push-approval-audit verify --pubkey FILE.pub --redis ADDR\n"
      "              [--password P] [--db N] [--stream NAME]\n"
      "\n"
      "Checks every rule of docs/audit-format.md: canonical lines, seq\n"
      "without gaps from 1, prev hashes, checkpoint keys and signatures,\n"
      "and the heads by which a checkpoint vouches for other writers.\n"
      "Prints each break (BREAK WHERE: writer W seq N: what) and each note\n"
      "(unsigned tail, torn final line, a stream trimmed by MAXLEN), then\n"
      "a summary.  Exit 0: no break; 1: a break; 2: usage or I/O error.\n"
      "\n"
      "  --pubkey FILE    the audit key's public key (PEM), e.g. "
      "audit.key.pub\n" },
    { "shipped", PA_O_REDIS,
      "usage: push-approval-audit shipped --redis ADDR [--password P] "
      "[--db N]\n"
      "              [--stream NAME] FILE|DIR...\n"
      "\n"
      "For each journal segment: its writer, first and last seq, and the\n"
      "writer's shipping checkpoint in Redis.  \"yes\": every line of the\n"
      "segment is in the stream, it may be compressed or deleted.  Exit 0\n"
      "when all are shipped, 1 otherwise, 2 on error.\n" },
    { "follow", PA_O_REDIS | PA_O_FILTER | PA_O_FORMAT | PA_O_FROM,
      "usage: push-approval-audit follow --redis ADDR [--password P] "
      "[--db N]\n"
      "              [--stream NAME] [--from ID|$] [FILTERS] "
      "[--format ndjson|csv]\n"
      "\n"
      "Prints the stream's events as they arrive (XREAD BLOCK), until\n"
      "interrupted.\n"
      "\n"
      "  --from ID|$      start after entry ID (0 for the whole stream);\n"
      "                   default $: only new entries\n" },
    { NULL, 0, NULL }
};


static const struct option  pa_long[] = {
    { "redis",    required_argument, NULL, 'r' },
    { "password", required_argument, NULL, 'P' },
    { "db",       required_argument, NULL, 'd' },
    { "stream",   required_argument, NULL, 's' },
    { "since",    required_argument, NULL, 'S' },
    { "until",    required_argument, NULL, 'U' },
    { "user",     required_argument, NULL, 'u' },
    { "id",       required_argument, NULL, 'i' },
    { "event",    required_argument, NULL, 'e' },
    { "format",   required_argument, NULL, 'f' },
    { "pubkey",   required_argument, NULL, 'k' },
    { "from",     required_argument, NULL, 'F' },
    { "help",     no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};


static void
pa_help(const pa_cmd_t *cmd)
{
    fputs(cmd->usage, stdout);

    if (cmd->opts & PA_O_FILTER) {
        fputs("\nFilters and format:\n", stdout);
        fputs(pa_filter_help, stdout);
    }

    if (cmd->opts & PA_O_REDIS) {
        fputs("\nRedis:\n", stdout);
        fputs(pa_redis_help, stdout);
    }
}


static int
pa_usage(const pa_args_t *a, const char *msg, const char *arg)
{
    fprintf(stderr, "push-approval-audit: %s%s\n", msg, arg ? arg : "");
    fprintf(stderr, "try: push-approval-audit %s --help\n",
            a->cmd ? a->cmd->name : "");
    return PA_ERROR;
}


static int
pa_add_filter(const char **list, size_t *n, const char *v)
{
    if (*n == PA_FILTER_MAX) {
        return -1;
    }

    list[(*n)++] = v;

    return 0;
}


static unsigned
pa_opt_kind(int c)
{
    switch (c) {
    case 'r': case 'P': case 'd': case 's':
        return PA_O_REDIS;
    case 'S': case 'U': case 'u': case 'i': case 'e':
        return PA_O_FILTER;
    case 'f':
        return PA_O_FORMAT;
    case 'k':
        return PA_O_PUBKEY;
    case 'F':
        return PA_O_FROM;
    }

    return 0;
}


/* one option; 0, or an exit status */
static int
pa_option(pa_args_t *a, int c, const char *v)
{
    pa_filter_t  *f;
    char         *end;
    int           rc;

    f = &a->flt;
    rc = 0;

    switch (c) {
    case 'r': a->redis.addr = v; break;
    case 'P': a->redis.password = v; break;
    case 's': a->redis.stream = v; break;
    case 'k': a->pubkey = v; break;
    case 'F': a->from = v; break;
    case 'd':
        a->redis.db = strtol(v, &end, 10);
        if (*v == '\0' || *end != '\0' || a->redis.db < 0) {
            return pa_usage(a, "--db: a number expected: ", v);
        }
        break;
    case 'S':
        f->has_since = 1;
        if (pa_parse_time(v, &f->since) != 0) {
            return pa_usage(a, "--since: a time expected: ", v);
        }
        break;
    case 'U':
        f->has_until = 1;
        if (pa_parse_time(v, &f->until) != 0) {
            return pa_usage(a, "--until: a time expected: ", v);
        }
        break;
    case 'u': rc = pa_add_filter(f->user, &f->nuser, v); break;
    case 'i': rc = pa_add_filter(f->id, &f->nid, v); break;
    case 'e': rc = pa_add_filter(f->event, &f->nevent, v); break;
    case 'f':
        if (strcmp(v, "csv") != 0 && strcmp(v, "ndjson") != 0) {
            return pa_usage(a, "--format: ndjson or csv, not ", v);
        }
        f->csv = strcmp(v, "csv") == 0;
        break;
    }

    if (rc != 0) {
        return pa_usage(a, "too many values of a filter", NULL);
    }

    return 0;
}


/* parses argv after the command; 0, -1 after --help, or an exit status */
static int
pa_parse_args(pa_args_t *a, int argc, char **argv)
{
    int  c, rc;

    a->redis.stream = PA_DEFAULT_STREAM;
    a->redis.password = getenv("REDISCLI_AUTH");
    a->from = "$";
    optind = 1;
    opterr = 0;

    while ((c = getopt_long(argc, argv, "+h", pa_long, NULL)) != -1) {
        if (c == 'h') {
            pa_help(a->cmd);
            return -1;
        }

        if (c == '?' || c == ':') {
            return pa_usage(a, "unknown option or missing value: ",
                            argv[optind - 1]);
        }

        if (!(pa_opt_kind(c) & a->cmd->opts)) {
            return pa_usage(a, "this command has no option ",
                            argv[optind - 1]);
        }

        rc = pa_option(a, c, optarg);
        if (rc != 0) {
            return rc;
        }
    }

    a->paths = argv + optind;
    a->npaths = argc - optind;

    return 0;
}


static int
pa_cmd_export(pa_args_t *a)
{
    pa_set_t   set;
    void      *redis;
    int        rc, io;

    memset(&set, 0, sizeof(pa_set_t));

    if (a->redis.addr) {
        redis = pa_redis_connect(&a->redis, 0);
        if (redis == NULL) {
            return PA_ERROR;
        }

        io = pa_redis_read_stream(redis, a->redis.stream, &set);
        pa_redis_close(redis);

    } else {
        io = pa_read_paths(&set, a->paths, a->npaths);
    }

    rc = pa_export(&set, &a->flt);
    pa_set_free(&set);

    return io != 0 ? PA_ERROR : rc;
}


static int
pa_cmd_verify(pa_args_t *a)
{
    pa_report_t   report;
    pa_set_t      set;
    void         *redis;
    int           rc, io;

    if (a->pubkey == NULL) {
        return pa_usage(a, "verify needs --pubkey FILE", NULL);
    }

    memset(&set, 0, sizeof(pa_set_t));
    memset(&report, 0, sizeof(pa_report_t));
    report.out = stdout;
    set.report = &report;
    redis = NULL;

    if (a->redis.addr) {
        redis = pa_redis_connect(&a->redis, 0);
        if (redis == NULL) {
            return PA_ERROR;
        }

        io = pa_redis_read_stream(redis, a->redis.stream, &set);

    } else {
        io = pa_read_paths(&set, a->paths, a->npaths);
    }

    if (io == 0 && set.nrecs == 0 && set.skipped == 0) {
        fprintf(stderr, "push-approval-audit: no lines found: nothing to "
                "verify\n");
        io = -1;
    }

    rc = io != 0 ? PA_ERROR : pa_verify(&set, a->pubkey, redis,
                                        a->redis.stream);

    if (io != 0) {
        fprintf(stderr, "push-approval-audit: not verified: the trail "
                "could not be read\n");
    }

    if (redis) {
        pa_redis_close(redis);
    }

    pa_set_free(&set);

    return rc;
}


static int
pa_cmd_shipped(pa_args_t *a)
{
    void  *redis;
    int    rc;

    redis = pa_redis_connect(&a->redis, 0);
    if (redis == NULL) {
        return PA_ERROR;
    }

    rc = pa_shipped(redis, a->redis.stream, a->paths, a->npaths);
    pa_redis_close(redis);

    return rc;
}


static int
pa_cmd_follow(pa_args_t *a)
{
    void  *redis;
    int    rc;

    redis = pa_redis_connect(&a->redis, 5000);
    if (redis == NULL) {
        return PA_ERROR;
    }

    rc = pa_redis_follow(redis, a->redis.stream, a->from, &a->flt);
    pa_redis_close(redis);

    return rc == 0 ? PA_OK : PA_ERROR;
}


/* what a command needs besides its options */
static int
pa_check_sources(pa_args_t *a)
{
    const char  *name;

    name = a->cmd->name;

    if (strcmp(name, "export") == 0 || strcmp(name, "verify") == 0) {
        if (a->redis.addr && a->npaths) {
            return pa_usage(a, "give files or --redis, not both", NULL);
        }

        if (!a->redis.addr && a->npaths == 0) {
            return pa_usage(a, "give journal files or directories, or "
                            "--redis", NULL);
        }

        return 0;
    }

    if (a->redis.addr == NULL) {
        return pa_usage(a, "this command needs --redis", NULL);
    }

    if (strcmp(name, "shipped") == 0 && a->npaths == 0) {
        return pa_usage(a, "give journal files or directories", NULL);
    }

    if (strcmp(name, "follow") == 0 && a->npaths) {
        return pa_usage(a, "follow takes no files: ", a->paths[0]);
    }

    return 0;
}


int
main(int argc, char **argv)
{
    pa_args_t  a;
    int        i, rc;

    memset(&a, 0, sizeof(pa_args_t));

    if (argc < 2) {
        fputs(pa_usage_main, stderr);
        return PA_ERROR;
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0)
    {
        fputs(pa_usage_main, stdout);
        return PA_OK;
    }

    if (strcmp(argv[1], "--version") == 0) {
        printf("push-approval-audit %s (trail format v1)\n", PA_VERSION);
        return PA_OK;
    }

    for (i = 0; pa_cmds[i].name; i++) {
        if (strcmp(argv[1], pa_cmds[i].name) == 0) {
            a.cmd = &pa_cmds[i];
        }
    }

    if (a.cmd == NULL) {
        return pa_usage(&a, "unknown command: ", argv[1]);
    }

    rc = pa_parse_args(&a, argc - 1, argv + 1);
    if (rc != 0) {
        return rc == -1 ? PA_OK : rc;
    }

    rc = pa_check_sources(&a);
    if (rc != 0) {
        return rc;
    }

    switch (a.cmd->name[0]) {
    case 'e': return pa_cmd_export(&a);
    case 'v': return pa_cmd_verify(&a);
    case 's': return pa_cmd_shipped(&a);
    default:  return pa_cmd_follow(&a);
    }
}
