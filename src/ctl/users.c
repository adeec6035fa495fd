/* SPDX-License-Identifier: Apache-2.0 */
/*
 * users.c - invitectl user, room, member and permission (src/ctl/ctl.h):
 * Rocket.Chat's users, rooms, subscriptions, roles and permissions, each
 * named by id or by name, never ambiguously.
 */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "invite_core.h"
#include "ctl.h"

#define CTL_ID_LEN 17          /* Rocket.Chat's Random.id() */

/* *by from a command's --id and --name flags; a usage error for both. */
int ctl_by(apr_pool_t *p, const char *cmd, const apr_array_header_t *id,
           const apr_array_header_t *name, ctl_by_e *by)
{
    if (id->nelts && name->nelts) {
        return ctl_usage_error(p, cmd, "--id and --name exclude each other");
    }
    *by = id->nelts ? CTL_BY_ID : name->nelts ? CTL_BY_NAME : CTL_BY_EITHER;
    return CTL_OK;
}

/* The id of the user (stmt INVITE_ADMIN_USER_FIND) or room (ROOM_FIND)
 * that key names, read as `by` says; NULL after a message.  A key that
 * names two is refused: the id of one and the name of another (a name
 * chosen to look like an id would otherwise redirect the command), or
 * the name of several. */
const char *ctl_find(ctl_db_t *db, invite_admin_stmt_e stmt, const char *key,
                     ctl_by_e by)
{
    int user = stmt == INVITE_ADMIN_USER_FIND, by_id = 0, others = 0;
    const char *what = user ? "user" : "room";
    const char *name = user ? "username" : "name";
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *args[2];
    const char *id = NULL;

    args[0] = by == CTL_BY_NAME ? NULL : key;
    args[1] = by == CTL_BY_ID ? NULL : key;
    if (ctl_select(db, stmt, &res, 2, args) != CTL_OK) {
        return NULL;
    }
    /* Id matches come first (rank 0). */
    while (ctl_row(db, res, &row)) {
        const char *rid = ctl_col(db, row, 0);

        if (!id) {
            id = apr_pstrdup(db->pool, rid);
            by_id = !strcmp(ctl_col(db, row, 2), "0");
        }
        else if (strcmp(id, rid)) {
            others++;
        }
    }
    if (!id) {
        ctl_fail(db->pool, "no %s '%s'", what, key);
    }
    else if (others && by_id) {
        ctl_fail(db->pool, "'%s' is the id of one %s and the %s of another:"
                 " say which with --id or --name", key, what, name);
    }
    else if (others) {
        ctl_fail(db->pool, "%d %ss have the %s '%s': name one by its id,"
                 " with --id", others + 1, what, name, key);
    }
    return id && !others ? id : NULL;
}

/* Connects and finds the user or room (as ctl_find) that args[i] names:
 * its id, or NULL after a message. */
const char *ctl_connect_find(ctl_db_t *db, invite_admin_stmt_e stmt,
                             const apr_array_header_t *args, int i,
                             ctl_by_e by)
{
    if (ctl_connect(db, 1) != CTL_OK) {
        return NULL;
    }
    return ctl_find(db, stmt, APR_ARRAY_IDX(args, i, const char *), by);
}

/* A new id: the given one, or 17 characters as Rocket.Chat's. */
static const char *ctl_new_id(ctl_db_t *db, const char *given)
{
    char id[CTL_ID_LEN + 1];

    if (given) {
        return given;
    }
    if (invite_id_generate_len(id, CTL_ID_LEN) != APR_SUCCESS) {
        ctl_fail(db->pool, "no random bytes for an id");
        return NULL;
    }
    return apr_pstrdup(db->pool, id);
}

/* Adds (or, with del, removes) each role of roles[from..] for a user (rid
 * NULL) or a member.  Inside the caller's transaction; the caller checked
 * the roles (ctl_texts). */
static int ctl_roles(ctl_db_t *db, const char *uid, const char *rid,
                     apr_array_header_t *roles, int from, int del)
{
    int i;

    for (i = from; i < roles->nelts; i++) {
        const char *role = APR_ARRAY_IDX(roles, i, const char *);
        const char *args[3] = { uid, rid ? rid : role, role };
        int nrows;

        if (ctl_query(db, rid ? INVITE_ADMIN_MEMBER_ROLE_ADD
                              : del ? INVITE_ADMIN_USER_ROLE_DEL
                                    : INVITE_ADMIN_USER_ROLE_ADD,
                      &nrows, rid ? 3 : 2, args) != CTL_OK) {
            return CTL_FAIL;
        }
        if (nrows == 0) {
            return ctl_fail(db->pool, del ? "%s does not have the role '%s'"
                                          : "%s already has the role '%s'",
                            rid ? "the member" : "the user", role);
        }
    }
    return CTL_OK;
}

/* user add. */
enum { USER_ADD_ID, USER_ADD_ROLE };

static const ctl_option_t user_add_options[] = {
    [USER_ADD_ID] = { "--id", 1 },
    [USER_ADD_ROLE] = { "--role", 1 },
    { NULL, 0 }
};

static int cmd_user_add(ctl_db_t *db, apr_array_header_t *args,
                        apr_array_header_t **opts)
{
    const char *uid, *name;
    apr_dbd_transaction_t *txn;
    int nrows, ok;
    const char *a[5];

    if (args->nelts != 2) {
        return ctl_usage_error(db->pool, "user", "bad 'user' arguments");
    }
    name = APR_ARRAY_IDX(args, 1, const char *);
    if (ctl_text(db->pool, "user", "username", name, CTL_NAME_MAX)
        || ctl_text(db->pool, "user", "id", ctl_opt(opts[USER_ADD_ID]),
                    CTL_ID_MAX)
        || ctl_texts(db->pool, "user", "role", opts[USER_ADD_ROLE], 0)) {
        return CTL_USAGE;
    }
    if (ctl_connect(db, 1) != CTL_OK
        || !(uid = ctl_new_id(db, ctl_opt(opts[USER_ADD_ID])))) {
        return CTL_FAIL;
    }
    a[0] = uid, a[1] = name, a[2] = name, a[3] = uid, a[4] = name;
    if (ctl_begin(db, &txn) != CTL_OK) {
        return CTL_FAIL;
    }
    ok = ctl_query(db, INVITE_ADMIN_USER_ADD, &nrows, 5, a);
    if (ok == CTL_OK && nrows == 0) {
        ok = ctl_fail(db->pool, "the id '%s' or the username '%s' is taken,"
                      " as a user's id or username", uid, name);
    }
    if (ok == CTL_OK) {
        ok = ctl_roles(db, uid, NULL, opts[USER_ADD_ROLE], 0, 0);
    }
    if (ctl_end(db, txn, ok) != CTL_OK) {
        return CTL_FAIL;
    }
    printf("%s\n", uid);
    return CTL_OK;
}

/* user show: the user's id, username, global roles, number of login
 * tokens (never their hashes) and rooms, each with its room roles. */
static int ctl_user_show(ctl_db_t *db, const char *uid)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *rooms = apr_array_make(db->pool, 4,
                                               sizeof(const char *));
    const char *name, *tokens, *roles = NULL, *rid = NULL, **room = NULL;
    int i;

    if (ctl_select(db, INVITE_ADMIN_USER_SHOW, &res, 1, &uid) != CTL_OK) {
        return CTL_FAIL;
    }
    if (!ctl_row(db, res, &row)) {
        return ctl_fail(db->pool, "no user '%s'", uid);
    }
    name = apr_pstrdup(db->pool, ctl_col(db, row, 1));
    tokens = apr_pstrdup(db->pool, ctl_col(db, row, 2));
    invite_dbc_drain(&db->dbc, res, &row);
    row = NULL;
    if (ctl_select(db, INVITE_ADMIN_USER_ROLES, &res, 1, &uid) != CTL_OK) {
        return CTL_FAIL;
    }
    while (ctl_row(db, res, &row)) {
        roles = apr_pstrcat(db->pool, roles ? roles : "", roles ? ", " : "",
                            ctl_col(db, row, 0), NULL);
    }
    row = NULL;
    if (ctl_select(db, INVITE_ADMIN_USER_ROOMS, &res, 1, &uid) != CTL_OK) {
        return CTL_FAIL;
    }
    /* A row per room role, by room: one line per room. */
    while (ctl_row(db, res, &row)) {
        const char *r = ctl_col(db, row, 0), *rname = ctl_col(db, row, 1);
        const char *role = ctl_col(db, row, 2);
        int first = !rid || strcmp(rid, r);

        if (first) {
            rid = apr_pstrdup(db->pool, r);
            room = apr_array_push(rooms);
            *room = apr_psprintf(db->pool, "%s (%s)", rname ? rname : "-",
                                 rid);
        }
        if (role) {
            *room = apr_pstrcat(db->pool, *room, first ? ": " : ", ", role,
                                NULL);
        }
    }
    printf("id: %s\nusername: %s\nroles: %s\nlogin tokens: %s\nrooms: %d\n",
           uid, name ? name : "-", roles ? roles : "-", tokens ? tokens : "0",
           rooms->nelts);
    for (i = 0; i < rooms->nelts; i++) {
        printf("room: %s\n", APR_ARRAY_IDX(rooms, i, const char *));
    }
    return CTL_OK;
}

/* How USER and ROOM arguments are read (ctl_by): the options of user
 * and room but for add. */
enum { FIND_ID, FIND_NAME };

static const ctl_option_t find_options[] = {
    [FIND_ID] = { "--id", 0 },
    [FIND_NAME] = { "--name", 0 },
    { NULL, 0 }
};

/* For user and room but add: *by from --id and --name, and USER or ROOM
 * (args[1]) checked.  CTL_OK or CTL_USAGE after a message. */
static int ctl_find_args(ctl_db_t *db, const char *cmd,
                         const apr_array_header_t *args,
                         apr_array_header_t **opts, ctl_by_e *by)
{
    if (ctl_by(db->pool, cmd, opts[FIND_ID], opts[FIND_NAME], by) != CTL_OK
        || ctl_text(db->pool, cmd, cmd, args->nelts > 1
                    ? APR_ARRAY_IDX(args, 1, const char *) : NULL,
                    CTL_NAME_MAX)) {
        return CTL_USAGE;
    }
    return CTL_OK;
}

/* user del, room del: the user or room that args[1] names (statement
 * find), deleted (statement del). */
static int ctl_del(ctl_db_t *db, invite_admin_stmt_e find,
                   invite_admin_stmt_e del, const apr_array_header_t *args,
                   ctl_by_e by)
{
    const char *id = ctl_connect_find(db, find, args, 1, by);
    int nrows;

    return id ? ctl_query(db, del, &nrows, 1, &id) : CTL_FAIL;
}

/* user del, user roles, user show. */
static int cmd_user(ctl_db_t *db, apr_array_header_t *args,
                    apr_array_header_t **opts)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    const char *uid;
    apr_dbd_transaction_t *txn;
    int ok;
    ctl_by_e by = CTL_BY_EITHER;

    if (ctl_find_args(db, "user", args, opts, &by) != CTL_OK) {
        return CTL_USAGE;
    }
    if (!strcmp(sub, "del") && args->nelts == 2) {
        return ctl_del(db, INVITE_ADMIN_USER_FIND, INVITE_ADMIN_USER_DEL,
                       args, by);
    }
    if (!strcmp(sub, "show") && args->nelts == 2) {
        if (!(uid = ctl_connect_find(db, INVITE_ADMIN_USER_FIND, args, 1,
                                    by))) {
            return CTL_FAIL;
        }
        return ctl_user_show(db, uid);
    }
    if (!strcmp(sub, "roles") && args->nelts >= 2) {
        const char *action = args->nelts > 2
            ? APR_ARRAY_IDX(args, 2, const char *) : NULL;
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;

        if (action && ((strcmp(action, "add") && strcmp(action, "del"))
                       || args->nelts < 4)) {
            return ctl_usage_error(db->pool, "user",
                                   "user roles USER [add|del ROLE...]");
        }
        if (ctl_texts(db->pool, "user", "role", args, 3)) {
            return CTL_USAGE;
        }
        if (!(uid = ctl_connect_find(db, INVITE_ADMIN_USER_FIND, args, 1,
                                    by))) {
            return CTL_FAIL;
        }
        if (action) {
            if (ctl_begin(db, &txn) != CTL_OK) {
                return CTL_FAIL;
            }
            ok = ctl_roles(db, uid, NULL, args, 3, !strcmp(action, "del"));
            return ctl_end(db, txn, ok);
        }
        if (ctl_select(db, INVITE_ADMIN_USER_ROLES, &res, 1, &uid) != CTL_OK) {
            return CTL_FAIL;
        }
        while (ctl_row(db, res, &row)) {
            printf("%s\n", ctl_col(db, row, 0));
        }
        return CTL_OK;
    }
    return ctl_usage_error(db->pool, "user", "bad 'user' arguments");
}

/* room add. */
enum { ROOM_ADD_ID, ROOM_ADD_TYPE, ROOM_ADD_FNAME, ROOM_ADD_PRID };

static const ctl_option_t room_add_options[] = {
    [ROOM_ADD_ID] = { "--id", 1 },
    [ROOM_ADD_TYPE] = { "--type", 1 },
    [ROOM_ADD_FNAME] = { "--fname", 1 },
    [ROOM_ADD_PRID] = { "--prid", 1 },
    { NULL, 0 }
};

static int cmd_room_add(ctl_db_t *db, apr_array_header_t *args,
                        apr_array_header_t **opts)
{
    const char *type = ctl_opt(opts[ROOM_ADD_TYPE])
                       ? ctl_opt(opts[ROOM_ADD_TYPE]) : "c";
    const char *a[8];
    const char *rid, *name;
    int nrows;

    if (args->nelts != 2) {
        return ctl_usage_error(db->pool, "room", "bad 'room' arguments");
    }
    name = APR_ARRAY_IDX(args, 1, const char *);
    if (strlen(type) != 1 || !strchr("cpdlv", type[0])) {
        return ctl_usage_error(db->pool, "room",
                               "--type is one of c, p, d, l, v");
    }
    if (ctl_text(db->pool, "room", "name", name, CTL_NAME_MAX)
        || ctl_text(db->pool, "room", "id", ctl_opt(opts[ROOM_ADD_ID]),
                    CTL_ID_MAX)
        || ctl_text(db->pool, "room", "fname", ctl_opt(opts[ROOM_ADD_FNAME]),
                    CTL_NAME_MAX)
        || ctl_text(db->pool, "room", "prid", ctl_opt(opts[ROOM_ADD_PRID]),
                    CTL_ID_MAX)) {
        return CTL_USAGE;
    }
    if (ctl_connect(db, 1) != CTL_OK
        || !(rid = ctl_new_id(db, ctl_opt(opts[ROOM_ADD_ID])))) {
        return CTL_FAIL;
    }
    a[0] = rid, a[1] = type, a[2] = name;
    a[3] = ctl_opt(opts[ROOM_ADD_FNAME]), a[4] = ctl_opt(opts[ROOM_ADD_PRID]);
    a[5] = name, a[6] = rid, a[7] = name;
    if (ctl_query(db, INVITE_ADMIN_ROOM_ADD, &nrows, 8, a) != CTL_OK) {
        return CTL_FAIL;
    }
    if (nrows == 0) {
        return ctl_fail(db->pool, "the id '%s' or the name '%s' is taken, as"
                        " a room's id or name", rid, name);
    }
    printf("%s\n", rid);
    return CTL_OK;
}

/* room del. */
static int cmd_room(ctl_db_t *db, apr_array_header_t *args,
                    apr_array_header_t **opts)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    ctl_by_e by = CTL_BY_EITHER;

    if (ctl_find_args(db, "room", args, opts, &by) != CTL_OK) {
        return CTL_USAGE;
    }
    if (!strcmp(sub, "del") && args->nelts == 2) {
        return ctl_del(db, INVITE_ADMIN_ROOM_FIND, INVITE_ADMIN_ROOM_DEL,
                       args, by);
    }
    return ctl_usage_error(db->pool, "room", "bad 'room' arguments");
}

enum { MEMBER_ROLE, MEMBER_ID, MEMBER_NAME };

static const ctl_option_t member_options[] = {
    [MEMBER_ROLE] = { "--role", 1 },
    [MEMBER_ID] = { "--id", 0 },
    [MEMBER_NAME] = { "--name", 0 },
    { NULL, 0 }
};

static int cmd_member(ctl_db_t *db, apr_array_header_t *args,
                      apr_array_header_t **opts)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    static const struct {
        const char *name;
        int stmt;
        const char *none;   /* what 0 rows mean */
    } subs[] = {
        { "add", INVITE_ADMIN_MEMBER_ADD,
          "the user is already a member of the room" },
        { "del", INVITE_ADMIN_MEMBER_DEL,
          "the user is not a member of the room" },
        { "ban", INVITE_ADMIN_MEMBER_BAN,
          "the user is already banned from the room" },
        { "unban", INVITE_ADMIN_MEMBER_UNBAN,
          "the user is not banned from the room" },
    };
    const char *a[2];
    apr_dbd_transaction_t *txn;
    int nrows, ok, add = !strcmp(sub, "add"), i, which = -1;
    ctl_by_e by = CTL_BY_EITHER;

    for (i = 0; i < (int)(sizeof(subs) / sizeof(subs[0])); i++) {
        if (!strcmp(sub, subs[i].name)) {
            which = i;
        }
    }
    if (which < 0 || args->nelts != 3) {
        return ctl_usage_error(db->pool, "member", "bad 'member' arguments");
    }
    if (!add && opts[MEMBER_ROLE]->nelts) {
        return ctl_usage_error(db->pool, "member",
                               "--role goes with 'member add'");
    }
    if (ctl_by(db->pool, "member", opts[MEMBER_ID], opts[MEMBER_NAME], &by)
        != CTL_OK
        || ctl_text(db->pool, "member", "user",
                    APR_ARRAY_IDX(args, 1, const char *), CTL_NAME_MAX)
        || ctl_text(db->pool, "member", "room",
                    APR_ARRAY_IDX(args, 2, const char *), CTL_NAME_MAX)
        || ctl_texts(db->pool, "member", "role", opts[MEMBER_ROLE], 0)) {
        return CTL_USAGE;
    }
    if (!(a[0] = ctl_connect_find(db, INVITE_ADMIN_USER_FIND, args, 1, by))
        || !(a[1] = ctl_find(db, INVITE_ADMIN_ROOM_FIND,
                             APR_ARRAY_IDX(args, 2, const char *), by))) {
        return CTL_FAIL;
    }
    if (ctl_begin(db, &txn) != CTL_OK) {
        return CTL_FAIL;
    }
    ok = ctl_query(db, subs[which].stmt, &nrows, 2, a);
    if (ok == CTL_OK && nrows == 0) {
        ok = ctl_fail(db->pool, "%s", subs[which].none);
    }
    if (ok == CTL_OK && add) {
        ok = ctl_roles(db, a[0], a[1], opts[MEMBER_ROLE], 0, 0);
    }
    return ctl_end(db, txn, ok);
}

static int cmd_permission(ctl_db_t *db, apr_array_header_t *args,
                          apr_array_header_t **opts)
{
    const char *sub = args->nelts ? APR_ARRAY_IDX(args, 0, const char *) : "";
    int grant = !strcmp(sub, "grant"), nrows;
    const char **a = (const char **)args->elts + 1;

    (void)opts;
    if ((!grant && strcmp(sub, "revoke")) || args->nelts != 3) {
        return ctl_usage_error(db->pool, "permission",
                               "bad 'permission' arguments");
    }
    if (ctl_text(db->pool, "permission", "permission", a[0], CTL_NAME_MAX)
        || ctl_text(db->pool, "permission", "role", a[1], CTL_NAME_MAX)) {
        return CTL_USAGE;
    }
    if (ctl_connect(db, 1) != CTL_OK
        || ctl_query(db, grant ? INVITE_ADMIN_PERMISSION_GRANT
                               : INVITE_ADMIN_PERMISSION_REVOKE,
                     &nrows, 2, a) != CTL_OK) {
        return CTL_FAIL;
    }
    if (nrows == 0) {
        return ctl_fail(db->pool, grant ? "'%s' is already granted to '%s'"
                                        : "'%s' is not granted to '%s'",
                        a[0], a[1]);
    }
    return CTL_OK;
}

static const ctl_command_t user_subcommands[] = {
    { "add", user_add_options, cmd_user_add },
    { NULL }
};

const ctl_command_t ctl_cmd_user = {
    "user", find_options, cmd_user,
    "user add [--id ID] [--role ROLE]... USERNAME\n"
    "       user del [--id|--name] USER\n"
    "       user roles [--id|--name] USER [add|del ROLE...]\n"
    "       user show [--id|--name] USER",
    "USER is a user id or username (only an id with --id, only a\n"
    "username with --name); one that is the id of a user and the\n"
    "username of another is refused.  `user add` prints the new id (17\n"
    "characters, Rocket.Chat style, unless --id gives one); an id or\n"
    "username that is already a user's id or username is refused.\n"
    "`user roles` lists the global roles, or adds or removes some.\n"
    "`user show` prints the id, username, global roles, number of login\n"
    "tokens (never the tokens or hashes) and rooms with room roles.\n",
    user_subcommands
};

static const ctl_command_t room_subcommands[] = {
    { "add", room_add_options, cmd_room_add },
    { NULL }
};

const ctl_command_t ctl_cmd_room = {
    "room", find_options, cmd_room,
    "room add [--id ID] [--type c|p|d|l|v] [--fname FNAME]\n"
    "       [--prid ID] NAME\n"
    "       room del [--id|--name] ROOM",
    "ROOM is a room id or name (only an id with --id, only a name with\n"
    "--name); one that is the id of a room and the name of another is\n"
    "refused.  `room add` prints the new id; the type defaults to c\n"
    "(public); an id or name that is already a room's id or name is\n"
    "refused.\n",
    room_subcommands
};

const ctl_command_t ctl_cmd_member = {
    "member", member_options, cmd_member,
    "member add [--id|--name] [--role ROLE]... USER ROOM\n"
    "       member del|ban|unban [--id|--name] USER ROOM",
    "Subscribes USER to ROOM, with room roles (owner, moderator, ...), or\n"
    "removes the subscription and its roles.  ban marks USER's\n"
    "subscription to ROOM banned (making one if there is none), as\n"
    "Rocket.Chat 8.4 does: useInviteToken then refuses USER there; unban\n"
    "removes that subscription.  --id or --name: both USER and ROOM are\n"
    "ids, or names.\n"
};

const ctl_command_t ctl_cmd_permission = {
    "permission", NULL, cmd_permission,
    "permission grant|revoke PERMISSION ROLE",
    "Grants a permission (create-invite-links, api-bypass-rate-limit...)\n"
    "to a role, or revokes it.\n"
};
