/* backend/qmp.h — a small QEMU Machine Protocol client.
 *
 * QMP is JSON over a stream socket, one message per line.  A session
 * starts with QEMU's greeting {"QMP": {...}}; the client answers with
 * qmp_capabilities and may then execute commands.  A command's reply
 * carries the command's "id"; asynchronous {"event": ...} messages may
 * arrive at any time and are queued until vxl_qmp_event() takes them.
 *
 * Values are yajl trees (yajl_tree.h), freed with yajl_tree_free().
 * Every call that waits takes a timeout in milliseconds (< 0: for ever)
 * and fails with -ETIMEDOUT when it passes; a closed connection is
 * -ECONNRESET; an error reply is -EIO with QEMU's class and description
 * in the diagnostics. */
#ifndef VXL_BACKEND_QMP_H
#define VXL_BACKEND_QMP_H

#include <yajl/yajl_tree.h>
#include "common/diag.h"

typedef struct vxl_qmp vxl_qmp;

/* Connect to a unix socket and negotiate capabilities. */
int vxl_qmp_connect(const char *path, int timeout_ms, vxl_qmp **out,
                    vxl_diags *d);
/* The same over an already-connected fd, which the session then owns
 * (closed on failure too). */
int vxl_qmp_open_fd(int fd, int timeout_ms, vxl_qmp **out, vxl_diags *d);
void vxl_qmp_close(vxl_qmp *q);

/* The server's version from the greeting, "major.minor.micro". */
const char *vxl_qmp_version(const vxl_qmp *q);
/* The socket, for poll() (readable: call vxl_qmp_event with timeout 0). */
int vxl_qmp_fd(const vxl_qmp *q);

/* Execute `cmd' with `args_json' (a JSON object's text, or NULL) and wait
 * for its reply.  On success *ret (when ret is not NULL) is the whole
 * reply message; vxl_qmp_return(*ret) its "return" value.  The caller
 * frees it with vxl_qmp_free. */
int vxl_qmp_execute(vxl_qmp *q, const char *cmd, const char *args_json,
                    int timeout_ms, yajl_val *ret, vxl_diags *d);

/* Next event (queued or arriving within the timeout).  *ev is the whole
 * message; vxl_qmp_event_name(*ev) its "event" member.  Free with
 * vxl_qmp_free. */
int vxl_qmp_event(vxl_qmp *q, int timeout_ms, yajl_val *ev, vxl_diags *d);
const char *vxl_qmp_event_name(yajl_val ev);
/* A string member of the event's "data" (e.g. "reason"), or NULL. */
const char *vxl_qmp_event_data_str(yajl_val ev, const char *key);

/* A reply's "return" member (NULL when there is none). */
yajl_val vxl_qmp_return(yajl_val reply);
/* Free a message returned by this module. */
void vxl_qmp_free(yajl_val v);

/* `s' as a JSON string literal, with quotes.  Caller frees. */
char *vxl_json_quote(const char *s);

#endif
