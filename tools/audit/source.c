/*
 * push-approval-audit: reading journal files and directories.  A line is
 * read into a bounded buffer: a line longer than 64 KiB is reported and
 * skipped, never held.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"


static const char *pa_packed[] = {
    ".gz", ".bz2", ".xz", ".zst", ".lz4", ".lzma", ".lz", ".Z", ".br",
    ".zip", ".7z", NULL
};


static int
pa_packed_name(const char *name)
{
    size_t  n, k;
    int     i;

    n = strlen(name);

    for (i = 0; pa_packed[i]; i++) {
        k = strlen(pa_packed[i]);
        if (n > k && strcmp(name + n - k, pa_packed[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


static size_t
pa_digits(const char *s)
{
    size_t  n;

    for (n = 0; s[n] >= '0' && s[n] <= '9'; n++) { /* void */ }

    return n;
}


/*
 * journal-PID-MS.ndjson[.N]: 1, with the group "PID-MS" and N (0 for
 * none); 0 for another name
 */
int
pa_file_group(const char *base, char **group, unsigned long *rot)
{
    const char  *p, *g;
    size_t       n;

    if (strncmp(base, "journal-", 8) != 0) {
        return 0;
    }

    g = p = base + 8;
    n = pa_digits(p);
    if (n == 0 || p[n] != '-') {
        return 0;
    }

    p += n + 1;
    n = pa_digits(p);
    if (n == 0 || strncmp(p + n, ".ndjson", 7) != 0) {
        return 0;
    }

    p += n;
    *rot = 0;

    if (p[7] == '.') {
        n = pa_digits(p + 8);
        if (n == 0 || n > 9 || p[8 + n] != '\0') {
            return 0;
        }

        *rot = strtoul(p + 8, NULL, 10);

    } else if (p[7] != '\0') {
        return 0;
    }

    *group = pa_strndup(g, (size_t) (p - g));

    return 1;
}


static void
pa_source_warn(pa_set_t *set, const char *origin, const char *msg)
{
    set->skipped++;

    if (set->report) {
        pa_break(set->report, origin, NULL, "%s", msg);
        return;
    }

    fputs("push-approval-audit: ", stderr);
    pa_safe(stderr, origin, strlen(origin));
    fprintf(stderr, ": %s, skipped\n", msg);
}


static char *
pa_origin_of(const char *path, size_t lineno)
{
    size_t  n;
    char   *o;

    n = strlen(path) + 24;
    o = pa_alloc(n);
    snprintf(o, n, "%s:%zu", path, lineno);

    return o;
}


static void
pa_one_line(pa_set_t *set, size_t fi, size_t lineno, const char *p,
    size_t len)
{
    pa_rec_t  *rec;
    char      *origin;
    char       err[256];

    origin = pa_origin_of(set->files[fi].path, lineno);

    rec = pa_line_parse(p, len, err, sizeof(err));
    if (rec == NULL) {
        pa_source_warn(set, origin, err);
        free(origin);
        return;
    }

    rec->origin = origin;
    rec->src = fi;
    set->files[fi].last = rec;
    pa_set_add(set, rec);
}


/* the bytes after the last \n: a whole line without its \n, or torn */
static void
pa_tail(pa_set_t *set, size_t fi, size_t lineno, const char *p, size_t len)
{
    pa_file_t  *file;
    pa_rec_t   *rec;
    char        err[256];

    file = &set->files[fi];

    rec = pa_line_parse(p, len, err, sizeof(err));
    if (rec != NULL) {
        rec->origin = pa_origin_of(file->path, lineno);
        rec->src = fi;
        file->last = rec;
        file->nonl = 1;
        pa_set_add(set, rec);
        return;
    }

    file->torn = 1;
    file->torn_line = lineno;
    file->torn_bytes = len;
}


typedef struct {
    char     *buf;
    size_t    have;
    size_t    lineno;
    int       skipping;     /* in the rest of an overlong line */
} pa_reader_t;


/* hands the complete lines in the buffer on; keeps the rest */
static void
pa_lines(pa_set_t *set, size_t fi, pa_reader_t *r)
{
    char    *p, *nl, *end;
    char    *origin;

    p = r->buf;
    end = r->buf + r->have;

    while ((nl = memchr(p, '\n', (size_t) (end - p))) != NULL) {
        r->lineno++;

        if (!r->skipping) {
            pa_one_line(set, fi, r->lineno, p, (size_t) (nl - p));
        }

        r->skipping = 0;
        p = nl + 1;
    }

    r->have = (size_t) (end - p);
    memmove(r->buf, p, r->have);

    if (r->have > PA_LINE_MAX && !r->skipping) {
        origin = pa_origin_of(set->files[fi].path, r->lineno + 1);
        pa_source_warn(set, origin, "line longer than 64 KiB");
        free(origin);
        r->skipping = 1;
    }

    if (r->skipping) {
        r->have = 0;
    }
}


static int
pa_read_fd(pa_set_t *set, size_t fi, int fd)
{
    pa_reader_t  r;
    ssize_t      n;

    memset(&r, 0, sizeof(pa_reader_t));
    r.buf = pa_alloc(PA_LINE_MAX + 1 + 65536);

    for ( ;; ) {
        n = read(fd, r.buf + r.have, PA_LINE_MAX + 1 + 65536 - r.have);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0) {
            free(r.buf);
            return -1;
        }

        if (n == 0) {
            break;
        }

        r.have += (size_t) n;
        pa_lines(set, fi, &r);
    }

    if (r.have > 0 && !r.skipping) {
        pa_tail(set, fi, r.lineno + 1, r.buf, r.have);
    }

    free(r.buf);

    return 0;
}


static int
pa_read_file(pa_set_t *set, const char *path)
{
    pa_file_t    *file;
    const char   *base;
    int           fd, rc;

    if (set->nfiles == set->fcap) {
        set->fcap = set->fcap ? set->fcap * 2 : 16;
        set->files = realloc(set->files, set->fcap * sizeof(pa_file_t));
        if (set->files == NULL) {
            fprintf(stderr, "push-approval-audit: out of memory\n");
            exit(PA_ERROR);
        }
    }

    file = &set->files[set->nfiles];
    memset(file, 0, sizeof(pa_file_t));

    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!pa_file_group(base, &file->group, &file->rot)) {
        file->group = NULL;
    }

    file->path = pa_strdup(path);
    set->nfiles++;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        fprintf(stderr, "push-approval-audit: cannot open ");
        pa_safe(stderr, path, strlen(path));
        fprintf(stderr, ": %s\n", strerror(errno));
        return -1;
    }

    rc = pa_read_fd(set, set->nfiles - 1, fd);
    if (rc != 0) {
        fprintf(stderr, "push-approval-audit: cannot read ");
        pa_safe(stderr, path, strlen(path));
        fprintf(stderr, ": %s\n", strerror(errno));
    }

    close(fd);

    return rc;
}


static void
pa_skip_note(const char *path, const char *why)
{
    fputs("push-approval-audit: skipped ", stderr);
    pa_safe(stderr, path, strlen(path));
    fprintf(stderr, ": %s\n", why);
}


/* names of a directory's journal files, oldest segment of a chain first */
static int
pa_cmp_names(const void *a, const void *b)
{
    const char     *x, *y;
    char           *gx, *gy;
    unsigned long   rx, ry;
    int             c, mx, my;

    x = *(char * const *) a;
    y = *(char * const *) b;

    gx = gy = NULL;
    mx = pa_file_group(x, &gx, &rx);
    my = pa_file_group(y, &gy, &ry);

    if (!mx || !my) {
        free(gx);
        free(gy);
        return strcmp(x, y);
    }

    c = strcmp(gx, gy);
    free(gx);
    free(gy);

    if (c != 0) {
        return c;
    }

    return rx > ry ? -1 : (rx < ry ? 1 : 0);
}


static int
pa_read_dir(pa_set_t *set, const char *path)
{
    DIR            *dir;
    struct dirent  *de;
    char          **names, *full, *g;
    size_t          n, cap, i, len;
    unsigned long   rot;
    int             rc;

    dir = opendir(path);
    if (dir == NULL) {
        fprintf(stderr, "push-approval-audit: cannot open directory ");
        pa_safe(stderr, path, strlen(path));
        fprintf(stderr, ": %s\n", strerror(errno));
        return -1;
    }

    names = NULL;
    n = cap = 0;

    while ((de = readdir(dir)) != NULL) {
        if (strncmp(de->d_name, "journal-", 8) != 0) {
            continue;
        }

        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(char *));
            if (names == NULL) {
                fprintf(stderr, "push-approval-audit: out of memory\n");
                exit(PA_ERROR);
            }
        }

        names[n++] = pa_strdup(de->d_name);
    }

    closedir(dir);

    qsort(names, n, sizeof(char *), pa_cmp_names);
    rc = 0;

    for (i = 0; i < n; i++) {
        len = strlen(path) + strlen(names[i]) + 2;
        full = pa_alloc(len);
        snprintf(full, len, "%s/%s", path, names[i]);

        if (pa_packed_name(names[i])) {
            pa_skip_note(full, "compressed; decompress it to read it");

        } else if (!pa_file_group(names[i], &g, &rot)) {
            pa_skip_note(full, "not a journal-PID-MS.ndjson[.N] name");

        } else {
            free(g);
            rc |= pa_read_file(set, full);
        }

        free(full);
        free(names[i]);
    }

    free(names);

    return rc;
}


/* reads the files and directories given; -1 if any could not be read */
int
pa_read_paths(pa_set_t *set, char **paths, int npaths)
{
    struct stat  st;
    int          i, rc;

    rc = 0;

    for (i = 0; i < npaths; i++) {
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "push-approval-audit: ");
            pa_safe(stderr, paths[i], strlen(paths[i]));
            fprintf(stderr, ": %s\n", strerror(errno));
            rc = -1;
            continue;
        }

        if (S_ISDIR(st.st_mode)) {
            rc |= pa_read_dir(set, paths[i]);

        } else if (pa_packed_name(paths[i])) {
            pa_skip_note(paths[i], "compressed; decompress it to read it");

        } else {
            rc |= pa_read_file(set, paths[i]);
        }
    }

    return rc ? -1 : 0;
}
