/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_apconf.c - DBDriver, DBDParams and User of an Apache
 * configuration file, for invitectl -f and invite-sync -f
 * (include/invite_apconf.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "invite_apconf.h"

/* The next argument of a configuration line, as httpd's ap_getword_conf
 * reads it: "quoted" or 'quoted' (a backslash before the quote character
 * keeps it), else up to white space. */
static const char *apconf_word(apr_pool_t *p, const char **line)
{
    const char *s = *line;
    char *out, *o;

    while (apr_isspace(*s)) {
        s++;
    }
    if (!*s) {
        return NULL;
    }
    out = o = apr_palloc(p, strlen(s) + 1);
    if (*s == '"' || *s == '\'') {
        char q = *s++;

        while (*s && *s != q) {
            if (*s == '\\' && s[1] == q) {
                s++;
            }
            *o++ = *s++;
        }
        if (*s == q) {
            s++;
        }
    }
    else {
        while (*s && !apr_isspace(*s)) {
            *o++ = *s++;
        }
    }
    *o = '\0';
    *line = s;
    return out;
}

/* line with each ${NAME} replaced as httpd's ap_resolve_env replaces it:
 * by the value of a Define, else of the environment; an undefined one, or
 * a "${" without "}", stays as it is. */
const char *invite_apconf_resolve(apr_pool_t *p, apr_table_t *defines,
                                  const char *line)
{
    const char *out = "", *s = line, *start, *end;

    while ((start = strstr(s, "${")) && (end = strchr(start + 2, '}'))) {
        const char *name = apr_pstrmemdup(p, start + 2, end - start - 2);
        const char *v = apr_table_get(defines, name);

        if (!v) {
            v = getenv(name);
        }
        out = apr_pstrcat(p, out,
                          apr_pstrmemdup(p, s, (v ? start : end + 1) - s),
                          v, NULL);
        s = end + 1;
    }
    return apr_pstrcat(p, out, s, NULL);
}

/* *out = the value of a directive read from file, unless some "${" in it
 * stayed: httpd would read that literally (a file named "${VAR}" for
 * sqlite3), which is never what is meant, so -1 with *err set.  hint:
 * the caller's option that gives it instead. */
static int apconf_value(apr_pool_t *p, const char *file,
                        const char *directive, const char *hint,
                        const char *value, const char **out,
                        const char **err)
{
    const char *var = value ? strstr(value, "${") : NULL;
    size_t n;

    if (var) {
        n = strcspn(var, "}");
        *err = apr_psprintf(p, "%s in %s holds %s%s, which no Define before"
                            " it in the file and no environment variable"
                            " sets: give %s, or define it", directive, file,
                            apr_pstrmemdup(p, var, n), var[n] ? "}" : "",
                            hint);
        return -1;
    }
    *out = value;
    return 0;
}

int invite_apconf_read(apr_pool_t *p, const char *file,
                       const char *driver_opt, const char *params_opt,
                       const char **driver, const char **params,
                       const char **user, const char **err)
{
    FILE *f = fopen(file, "r");
    char buf[8192];
    char *line = NULL;
    apr_table_t *defines = apr_table_make(p, 4);
    int ok = 0;

    if (!f) {
        *err = apr_psprintf(p, "cannot read %s: %s", file, strerror(errno));
        return -1;
    }
    while (ok == 0 && fgets(buf, sizeof(buf), f)) {
        size_t n = strlen(buf);
        const char *s, *word;

        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
            buf[--n] = '\0';
        }
        /* A line ending in a backslash continues on the next one. */
        if (n && buf[n - 1] == '\\') {
            buf[n - 1] = '\0';
            line = apr_pstrcat(p, line ? line : "", buf, NULL);
            continue;
        }
        line = apr_pstrcat(p, line ? line : "", buf, NULL);
        s = line;
        line = NULL;
        while (apr_isspace(*s)) {
            s++;
        }
        if (*s == '#') {
            continue;
        }
        s = invite_apconf_resolve(p, defines, s);
        word = apconf_word(p, &s);
        if (!word) {
            continue;
        }
        if (!strcasecmp(word, "DBDriver") && !*driver) {
            ok = apconf_value(p, file, "DBDriver", driver_opt,
                              apconf_word(p, &s), driver, err);
        }
        else if (!strcasecmp(word, "DBDParams") && !*params) {
            ok = apconf_value(p, file, "DBDParams", params_opt,
                              apconf_word(p, &s), params, err);
        }
        else if (!strcasecmp(word, "User") && !*user) {
            *user = apconf_word(p, &s);
        }
        else if (!strcasecmp(word, "Define")) {
            const char *name = apconf_word(p, &s);
            const char *value = apconf_word(p, &s);

            /* Define NAME alone is for <IfDefine>, no variable. */
            if (name && value) {
                apr_table_set(defines, name, value);
            }
        }
        else if (!strcasecmp(word, "UnDefine")) {
            const char *name = apconf_word(p, &s);

            if (name) {
                apr_table_unset(defines, name);
            }
        }
    }
    fclose(f);
    return ok;
}
