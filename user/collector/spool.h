/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where the mail lives, for `mailbpf check`: a textfile directory on the
 * mail spool's filesystem fails with it, and then the alert about that
 * filesystem cannot get out through the textfile.
 */
#ifndef MAILBPF_SPOOL_H
#define MAILBPF_SPOOL_H

#include <stddef.h>
#include "config.h"

#define MB_SPOOL_MAX 8

/*
 * The fixed directories of a Dovecot mail_location ("mbox:~/mail:INBOX=
 * /var/mail/%u", "maildir:/var/vmail/%d/%n"): each absolute path cut
 * before its first variable, "~" paths left out (they are per user).
 * Appends to dirs[*n..max); returns how many were added.
 */
int mb_spool_dovecot_dirs(const char *mail_location, char dirs[][MB_PATH_LEN], int *n, int max);

/*
 * Spool directories that exist here: /var/mail, /var/spool/exim4,
 * /var/spool/postfix and Dovecot's mail_location (doveconf -h, when
 * doveconf is installed). Returns how many.
 */
int mb_spool_dirs(char dirs[][MB_PATH_LEN], int max);

/*
 * Which of dirs share a filesystem with dir: written to shared as
 * "a, b" (empty when none). Returns the count, or -errno when dir
 * cannot be stat()ed.
 */
int mb_spool_shared(const char *dir, char dirs[][MB_PATH_LEN], int n, char *shared, size_t len);

#endif
