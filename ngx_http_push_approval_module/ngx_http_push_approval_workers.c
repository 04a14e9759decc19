
/*
 * The zone's registry of worker pids: the workers a decision wakes
 * (wake.c).
 */


#include "ngx_http_push_approval_module.h"


void
ngx_http_push_approval_zone_register(ngx_http_push_approval_zone_t *zone,
    ngx_pid_t pid, ngx_uint_t on)
{
    ngx_uint_t  i, free;

    free = NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS; i++) {

        if (zone->sh->workers[i] == pid) {
            if (!on) {
                zone->sh->workers[i] = 0;
            }

            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        if (zone->sh->workers[i] == 0
            && free == NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS)
        {
            free = i;
        }
    }

    if (on && free < NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS) {
        zone->sh->workers[free] = pid;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* copies the registered pids; mutex taken briefly */

ngx_uint_t
ngx_http_push_approval_zone_workers(ngx_http_push_approval_zone_t *zone,
    ngx_pid_t *pids)
{
    ngx_uint_t  i, n;

    n = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < NGX_HTTP_PUSH_APPROVAL_MAX_WORKERS; i++) {
        if (zone->sh->workers[i]) {
            pids[n++] = zone->sh->workers[i];
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return n;
}
