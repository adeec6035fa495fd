/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.c - what invitectl reads of Apache's configuration
 * (src/ctl/ctl.h): DBDriver, DBDParams and User of the -f file, and
 * Apache's user, with the warning after init and migrate when it could
 * not reach or write the SQLite database.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "ctl.h"
#include "invite_apconf.h"
#include "invite_dbname.h"

/* DBDriver, DBDParams and User from an Apache configuration file
 * (invite_apconf_read), with invitectl's options in its message. */
int ctl_read_conf(apr_pool_t *p, const char *file, const char **driver,
                  const char **params, const char **user)
{
    const char *err;

    if (invite_apconf_read(p, file, "-d DRIVER", "-p PARAMS", driver,
                           params, user, &err) != 0) {
        return ctl_fail(p, "%s", err);
    }
    return CTL_OK;
}

/* ------------------------------------------------------ Apache's user */

/* value with each ${NAME} that is still there replaced from Debian's
 * envvars file (APACHE_ENVVARS, else /etc/apache2/envvars), which
 * apache2ctl reads before httpd starts: its NAME=VALUE lines, "export"
 * before them or not, VALUE quoted or up to white space, without "$". */
static const char *ctl_envvars_resolve(apr_pool_t *p, const char *value,
                                       const char **file_used)
{
    const char *file = getenv("APACHE_ENVVARS");
    apr_table_t *vars = apr_table_make(p, 8);
    const char *out;
    char buf[1024];
    FILE *f;

    if (!strstr(value, "${")) {
        return value;
    }
    if (!file || !*file) {
        file = "/etc/apache2/envvars";
    }
    if (!(f = fopen(file, "r"))) {
        return value;
    }
    while (fgets(buf, sizeof(buf), f)) {
        const char *s = buf, *name, *v;

        while (apr_isspace(*s)) {
            s++;
        }
        if (!strncmp(s, "export", 6) && apr_isspace(s[6])) {
            s += 6;
            while (apr_isspace(*s)) {
                s++;
            }
        }
        name = s;
        while (apr_isalnum(*s) || *s == '_') {
            s++;
        }
        if (s == name || *s != '=') {
            continue;
        }
        name = apr_pstrmemdup(p, name, s - name);
        s++;
        if (*s == '"' || *s == '\'') {
            const char *end = strchr(s + 1, *s);

            if (!end) {
                continue;
            }
            v = apr_pstrmemdup(p, s + 1, end - s - 1);
        }
        else {
            v = apr_pstrmemdup(p, s, strcspn(s, " \t\r\n;#"));
        }
        if (!strchr(v, '$')) {
            apr_table_set(vars, name, v);
        }
    }
    fclose(f);
    out = invite_apconf_resolve(p, vars, value);
    if (strcmp(out, value)) {
        *file_used = file;
    }
    return out;
}

/* db->apache_user, db->apache_user_from: -u USER (given), else User of the
 * -f file (conf_user; a ${NAME} in it from the environment, else from
 * envvars), else www-data, Debian's. */
void ctl_apache_user(ctl_db_t *db, const char *given, const char *conf_user,
                     const char *file)
{
    const char *envvars = NULL, *user;

    if (given) {
        db->apache_user = given;
        db->apache_user_from = "-u";
        return;
    }
    db->apache_user = "www-data";
    db->apache_user_from = "the default";
    if (!conf_user) {
        return;
    }
    user = ctl_envvars_resolve(db->pool, conf_user, &envvars);
    if (strstr(user, "${")) {
        db->apache_user_from = apr_psprintf(db->pool, "the default: User in"
                                            " %s is %s, unset", file, user);
        return;
    }
    db->apache_user = user;
    db->apache_user_from = envvars
        ? apr_psprintf(db->pool, "User in %s, with %s", file, envvars)
        : apr_psprintf(db->pool, "User in %s", file);
}

/* The permission bits (r 4, w 2, x 1) that st grants to uid with groups,
 * as the kernel picks them: the owner's, else the group's, else the
 * others'; *who is chmod's u, g or o for them.  (ACLs are not read.) */
static int ctl_bits(const struct stat *st, uid_t uid, const gid_t *groups,
                    int ngroups, char *who)
{
    int i;

    *who = 'u';
    if (st->st_uid == uid) {
        return (st->st_mode >> 6) & 7;
    }
    *who = 'g';
    for (i = 0; i < ngroups; i++) {
        if (st->st_gid == groups[i]) {
            return (st->st_mode >> 3) & 7;
        }
    }
    *who = 'o';
    return st->st_mode & 7;
}

/* After init or migrate created or changed a SQLite database (and closed
 * it): warns on
 * stderr, with the commands that fix it, when Apache's user could not
 * reach it (a directory on the way it may not search), or could not
 * write the file, its -wal, -shm or -journal files that are there, or
 * the directory, where SQLite creates them.  The exit status stays. */
void ctl_check_apache_user(ctl_db_t *db)
{
    apr_pool_t *p = db->pool;
    const char *name = db->apache_user, *dir, *path, *cant = NULL;
    const char *chown_list = "", *chmod_list = "";
    static const char *const sides[] = { "", "-wal", "-shm", "-journal" };
    struct passwd *pw;
    struct stat st;
    gid_t *groups;
    int ngroups = 64, i, bits;
    char *real, who;

    if (!db->sqlite_file || !name) {
        return;
    }
    pw = name[0] == '#' ? getpwuid((uid_t)atol(name + 1)) : getpwnam(name);
    if (!pw) {
        fprintf(stderr, "invitectl: warning: no user %s (Apache's user, %s):"
                " cannot check that Apache may write %s\n", name,
                db->apache_user_from, db->sqlite_file);
        return;
    }
    if (pw->pw_uid == 0) {
        return;
    }
    name = apr_pstrdup(p, pw->pw_name);
    groups = apr_palloc(p, ngroups * sizeof(gid_t));
    if (getgrouplist(name, pw->pw_gid, groups, &ngroups) < 0) {
        groups = apr_palloc(p, ngroups * sizeof(gid_t));
        if (getgrouplist(name, pw->pw_gid, groups, &ngroups) < 0) {
            ngroups = 0;
        }
    }
    real = realpath(db->sqlite_file, NULL);
    path = apr_pstrdup(p, real ? real : db->sqlite_file);
    free(real);
    dir = invite_dbname_dir(p, path);
    /* Every directory on the way: search permission. */
    for (i = 1; path[0] == '/' && path[i]; i++) {
        const char *d;

        if (path[i] != '/') {
            continue;
        }
        d = apr_pstrmemdup(p, path, i);
        if (stat(d, &st) == 0 && !(ctl_bits(&st, pw->pw_uid, groups,
                                             ngroups, &who) & 1)) {
            fprintf(stderr, "invitectl: warning: Apache's user, %s (%s),"
                    " cannot reach %s: no search permission on the"
                    " directory %s\n"
                    "invitectl: fix it with: chmod %c+x %s, or keep the"
                    " database in a directory Apache's user may reach\n",
                    name, db->apache_user_from, path, d, who, d);
            return;
        }
    }
    /* The file and the files beside it: read and write; the directory:
     * write and search. */
    for (i = 0; i < 5; i++) {
        const char *f = i < 4 ? apr_pstrcat(p, path, sides[i], NULL) : dir;
        int want = i < 4 ? 6 : 3;

        if (stat(f, &st) != 0) {
            continue;
        }
        bits = ctl_bits(&st, pw->pw_uid, groups, ngroups, &who);
        if ((bits & want) == want) {
            continue;
        }
        cant = apr_pstrcat(p, cant ? cant : "", cant ? ", nor " : "",
                           i < 4 ? f : apr_psprintf(p, "the directory %s,"
                                                    " where SQLite creates"
                                                    " %s-wal, -shm and"
                                                    " -journal", f, path),
                           NULL);
        chown_list = apr_pstrcat(p, chown_list, " ", f, NULL);
        if (((int)(st.st_mode >> 6) & want) != want) {
            chmod_list = apr_pstrcat(p, chmod_list, " && chmod u+",
                                     i < 4 ? "rw " : "wx ", f, NULL);
        }
    }
    if (!cant) {
        return;
    }
    fprintf(stderr, "invitectl: warning: Apache's user, %s (%s), cannot"
            " write %s: mod_invite will fail on it\n"
            "invitectl: fix it with: chown %s:%s%s\n", name,
            db->apache_user_from, cant, name, chown_list, chmod_list);
}
