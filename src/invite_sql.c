/*
 * invite_sql.c - every SQL statement mod_invite runs, in one place.
 *
 * Data model (conf/schema-*.sql): users, login_tokens (hashed as
 * Rocket.Chat stores them), user_roles (global roles), rooms,
 * subscriptions and subscription_roles (room-scoped roles such as owner),
 * permission_roles, and invites.  Times are epoch milliseconds (UTC).
 *
 * Find-or-create is atomic through invites.slot: the unique index on
 * (user_id, rid, days, max_uses, slot) lets at most one invite per creator
 * and settings hold slot = 1.  A new invite is inserted holding the slot
 * (ON CONFLICT DO NOTHING), after the slot of an expired or used-up holder
 * has been released.  Concurrent creators therefore meet in the database's
 * unique index - across threads, processes and hosts - and the loser reads
 * the winner's invite.
 */
#include "invite_sql.h"

/* The live-invite predicate of Invites.findOneByUserRoomMaxUsesAndExpiration */
#define LIVE(a, now) \
    "(" a "days = 0 OR " a "expires > " now ")" \
    " AND (" a "max_uses = 0 OR " a "uses < " a "max_uses)"

#define INVITE_COLUMNS(a) \
    a "id, " a "days, " a "max_uses, " a "rid, " a "user_id, " \
    a "created_at, " a "expires, " a "uses, " a "updated_at"

const invite_stmt_t invite_statements[INVITE_STMT_COUNT] = {
    /* The whole find path in one round trip.  One row per login token of
     * the user (tokens are compared in constant time by the caller), none
     * when the user does not exist.
     * Args: rid (room roles), rid (subscription), rid (room),
     *       rid, days, max_uses, now (invite), user id. */
    [INVITE_STMT_FIND] = { "invite_find",
        "SELECT lt.hashed_token,"
        " CASE WHEN EXISTS (SELECT 1 FROM permission_roles pr"
        "   WHERE pr.permission = 'create-invite-links'"
        "     AND (pr.role IN (SELECT ur.role FROM user_roles ur"
        "                      WHERE ur.user_id = u.id)"
        "       OR pr.role IN (SELECT sr.role FROM subscription_roles sr"
        "                      WHERE sr.user_id = u.id AND sr.rid = %s)))"
        "   THEN 1 ELSE 0 END,"
        " CASE WHEN s.rid IS NULL THEN 0 ELSE 1 END,"
        " r.t, " INVITE_COLUMNS("i.")
        " FROM users u"
        " LEFT JOIN login_tokens lt ON lt.user_id = u.id"
        " LEFT JOIN subscriptions s ON s.user_id = u.id AND s.rid = %s"
        " LEFT JOIN rooms r ON r.id = %s"
        " LEFT JOIN invites i ON i.id = (SELECT li.id FROM invites li"
        "   WHERE li.user_id = u.id AND li.rid = %s AND li.days = %d"
        "     AND li.max_uses = %d AND " LIVE("li.", "%lld")
        "   ORDER BY li.created_at, li.id LIMIT 1)"
        " WHERE u.id = %s" },

    /* Args: user id, rid, days, max_uses, now. */
    [INVITE_STMT_RELEASE_SLOT] = { "invite_release_slot",
        "UPDATE invites SET slot = NULL"
        " WHERE user_id = %s AND rid = %s AND days = %d AND max_uses = %d"
        "   AND slot = 1 AND NOT (" LIVE("", "%lld") ")" },

    /* Args: id, days, max_uses, rid, user id, created_at, expires (NULL
     * for never), updated_at.  Affects no row when the slot is taken (or,
     * rarely, the id exists): the caller then reads the slot holder. */
    [INVITE_STMT_INSERT] = { "invite_insert",
        "INSERT INTO invites (id, days, max_uses, rid, user_id, created_at,"
        " expires, uses, updated_at, slot)"
        " VALUES (%s, %d, %d, %s, %s, %lld, %lld, 0, %lld, 1)"
        " ON CONFLICT DO NOTHING" },

    /* Args: now, user id, rid, days, max_uses.  Last column: 1 if live. */
    [INVITE_STMT_SLOT_HOLDER] = { "invite_slot_holder",
        "SELECT " INVITE_COLUMNS("") ","
        " CASE WHEN " LIVE("", "%lld") " THEN 1 ELSE 0 END"
        " FROM invites"
        " WHERE user_id = %s AND rid = %s AND days = %d AND max_uses = %d"
        "   AND slot = 1" },
};
