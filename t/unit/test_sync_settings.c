/* SPDX-License-Identifier: Apache-2.0 */
/* test_sync_settings.c - invite-sync's settings file (key = value lines,
 * comments, quotes, refused when group or others may read or write it,
 * unknown keys), the environment's overrides, the MongoDB URL with its
 * password hidden, and messages with every secret hidden. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "invite_sync.h"
#include "tap.h"

static apr_pool_t *pool;
static char dir[] = "/tmp/test_sync_settings.XXXXXX";

/* A settings file with text and mode; its path. */
static const char *settings_file(const char *name, const char *text,
                                 mode_t mode)
{
    const char *path = apr_pstrcat(pool, dir, "/", name, NULL);
    FILE *f = fopen(path, "w");

    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

static int read_settings(const char *path, int must_exist,
                         invite_sync_conf_t *c, const char **err)
{
    memset(c, 0, sizeof(*c));
    c->outbox = 1;
    *err = NULL;
    return invite_sync_settings_read(pool, path, must_exist, c, err);
}

static void test_file(void)
{
    invite_sync_conf_t c;
    const char *err, *path;

    path = settings_file("good.conf",
        "# invite-sync settings\n"
        "\n"
        "mongo_url = mongodb://sync:pw@db1:27017/rc?replicaSet=rs0\n"
        "  rocketchat_url=http://127.0.0.1:3000/  \n"
        "bot_user_id = \"bot id\"\n"
        "bot_token = 'tok#en'\n"
        "outbox = OFF\n", 0600);
    is_int(read_settings(path, 1, &c, &err), 0, "file: a 0600 file is read");
    is_str(c.mongo_url, "mongodb://sync:pw@db1:27017/rc?replicaSet=rs0",
           "file: mongo_url");
    is_str(c.rocketchat_url, "http://127.0.0.1:3000/",
           "file: white space around key and value goes");
    is_str(c.bot_user_id, "bot id", "file: double quotes go");
    is_str(c.bot_token, "tok#en", "file: single quotes go, # inside stays");
    is_int(c.outbox, 0, "file: outbox = OFF");

    path = settings_file("on.conf", "outbox = on\n", 0400);
    is_int(read_settings(path, 1, &c, &err), 0, "file: 0400 is read");
    is_int(c.outbox, 1, "file: outbox = on");
    ok(!c.mongo_url, "file: keys not given stay unset");

    path = settings_file("group.conf", "bot_token = x\n", 0640);
    is_int(read_settings(path, 1, &c, &err), -1,
           "mode: readable by group is refused");
    ok(err && strstr(err, "refused") && strstr(err, "readable")
       && strstr(err, "chmod 600"), "mode: the message says why and how");
    ok(!c.bot_token, "mode: nothing is read from a refused file");
    path = settings_file("other.conf", "bot_token = x\n", 0604);
    is_int(read_settings(path, 1, &c, &err), -1,
           "mode: readable by others is refused");
    path = settings_file("gw.conf", "bot_token = x\n", 0620);
    is_int(read_settings(path, 1, &c, &err), -1,
           "mode: writable by group is refused");
    ok(err && strstr(err, "writable"), "mode: writable is said");
    path = settings_file("ow.conf", "bot_token = x\n", 0602);
    is_int(read_settings(path, 1, &c, &err), -1,
           "mode: writable by others is refused");

    path = settings_file("unknown.conf", "bot_tokn = hunter2\n", 0600);
    is_int(read_settings(path, 1, &c, &err), -1, "unknown key is refused");
    ok(err && strstr(err, "bot_tokn") && strstr(err, ":1:"),
       "unknown key: named, with its line");
    ok(err && !strstr(err, "hunter2"), "unknown key: the value is not shown");
    path = settings_file("noeq.conf", "# x\nmongo_url mongodb://u:hunter2@h\n",
                         0600);
    is_int(read_settings(path, 1, &c, &err), -1, "a line without = is refused");
    ok(err && strstr(err, ":2:") && !strstr(err, "hunter2"),
       "no =: the line number, not its text");
    path = settings_file("badoutbox.conf", "outbox = maybe\n", 0600);
    is_int(read_settings(path, 1, &c, &err), -1, "outbox takes on or off");

    is_int(read_settings(apr_pstrcat(pool, dir, "/missing.conf", NULL), 0,
                         &c, &err), 0,
           "missing: the default file may be absent");
    is_int(read_settings(apr_pstrcat(pool, dir, "/missing.conf", NULL), 1,
                         &c, &err), -1, "missing: --config FILE must exist");
    ok(err && strstr(err, "missing.conf"), "missing: the path is named");
    is_int(read_settings(dir, 1, &c, &err), -1, "a directory is refused");
}

static void test_env(void)
{
    invite_sync_conf_t c;

    memset(&c, 0, sizeof(c));
    c.mongo_url = "mongodb://file";
    c.bot_token = "from-file";
    setenv("INVITE_SYNC_MONGO_URL", "mongodb://env/db", 1);
    setenv("INVITE_SYNC_ROCKETCHAT_URL", "http://rc", 1);
    setenv("INVITE_SYNC_BOT_USER_ID", "botid", 1);
    setenv("INVITE_SYNC_BOT_TOKEN", "", 1);
    invite_sync_settings_env(&c);
    is_str(c.mongo_url, "mongodb://env/db", "env: INVITE_SYNC_MONGO_URL wins");
    is_str(c.rocketchat_url, "http://rc", "env: INVITE_SYNC_ROCKETCHAT_URL");
    is_str(c.bot_user_id, "botid", "env: INVITE_SYNC_BOT_USER_ID");
    is_str(c.bot_token, "from-file", "env: an empty variable leaves the file's");
    unsetenv("INVITE_SYNC_MONGO_URL");
    unsetenv("INVITE_SYNC_ROCKETCHAT_URL");
    unsetenv("INVITE_SYNC_BOT_USER_ID");
    unsetenv("INVITE_SYNC_BOT_TOKEN");
}

static void test_url(void)
{
    static const struct {
        const char *url, *want, *name;
    } cases[] = {
        { "mongodb://sync:s3cr3t@db1:27017/rocketchat?replicaSet=rs0",
          "mongodb://sync:***@db1:27017/rocketchat?replicaSet=rs0",
          "url: the password goes, user, hosts and options stay" },
        { "mongodb://sync@db1/rc", "mongodb://sync@db1/rc",
          "url: a user without password stays" },
        { "mongodb://db1:27017,db2:27017/rc?replicaSet=rs0",
          "mongodb://db1:27017,db2:27017/rc?replicaSet=rs0",
          "url: no userinfo, untouched (ports stay)" },
        { "mongodb://u:p@ss:w@rd@db1/rc", "mongodb://u:***@db1/rc",
          "url: a password holding @ and : goes whole" },
        { "mongodb+srv://u:p%40ss@cluster0.example.net/?authSource=admin",
          "mongodb+srv://u:***@cluster0.example.net/?authSource=admin",
          "url: mongodb+srv, %-encoded password" },
        { "mongodb://u:pw@h/?tls=true&tlsCertificateKeyFilePassword=kp&w=1",
          "mongodb://u:***@h/?tls=true&tlsCertificateKeyFilePassword=***&w=1",
          "url: ...Password options go too" },
        { "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties="
          "AWS_SESSION_TOKEN:tok",
          "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=***",
          "url: authMechanismProperties goes" },
        { "mongodb://u:pw@h?replicaSet=a@b", "mongodb://u:***@h?replicaSet=a@b",
          "url: an @ in the options is not the userinfo's" },
        { "u:pw@h", "***", "url: not a URL: nothing of it is shown" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_str(invite_sync_url_redact(pool, cases[i].url), cases[i].want,
               cases[i].name);
    }
}

static void test_url_password(void)
{
    is_str(invite_sync_url_password(pool, "mongodb://u:p%40ss@h/db"), "p%40ss",
           "url password: as written");
    is_str(invite_sync_url_password(pool, "mongodb://u:p@ss:w@h/db?w=a@b"),
           "p@ss:w", "url password: up to the last @ before the options");
    ok(!invite_sync_url_password(pool, "mongodb://u@h/db"),
       "url password: none without ':'");
    ok(!invite_sync_url_password(pool, "mongodb://u:@h/db"),
       "url password: none when empty");
    ok(!invite_sync_url_password(pool, "mongodb://h/db?x=a:b@c"),
       "url password: none in the options");
}

static void test_redact(void)
{
    char path[] = "/tmp/test_sync_settings_log.XXXXXX";
    char buf[1024] = "", *r;
    int fd, saved;
    FILE *f;

    invite_sync_secret("s3cr3t");
    invite_sync_secret("");
    invite_sync_secret(NULL);
    invite_sync_secret("*");
    r = invite_sync_redact("a s3cr3t b s3cr3ts3cr3t c");
    is_str(r, "a *** b *** c", "redact: every occurrence, a run as one");
    free(r);
    invite_sync_secret("3t b s");
    r = invite_sync_redact("a s3cr3t b s3cr3t c");
    is_str(r, "a *** c", "redact: overlapping secrets hidden whole");
    free(r);
    r = invite_sync_redact("x * y");
    is_str(r, "x *** y", "redact: a secret that is in *** itself ends");
    free(r);
    invite_sync_secrets_clear();
    r = invite_sync_redact("a s3cr3t");
    is_str(r, "a s3cr3t", "redact: cleared, nothing hidden");
    free(r);

    /* invite_sync_log: the prefix, the tag, and the secret hidden. */
    invite_sync_secret("tok-123");
    fd = mkstemp(path);
    fflush(stderr);
    saved = dup(2);
    dup2(fd, 2);
    invite_sync_log(SYNCLOGNO(01399), "bot token %s rejected", "tok-123");
    invite_sync_log("", "waiting: %d", 1);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fdopen(fd, "r");
    rewind(f);
    buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
    fclose(f);
    unlink(path);
    is_str(buf, "invite-sync: INV01399: bot token *** rejected\n"
                "invite-sync: waiting: 1\n",
           "log: invite-sync: prefix, tag, secret hidden");
    invite_sync_secrets_clear();
}

static void test_time(void)
{
    is_str(invite_sync_iso(pool, APR_INT64_C(1796601600000)),
           "2026-12-07T00:00:00Z", "iso: epoch ms in UTC");
    ok(invite_sync_now_ms() > APR_INT64_C(1700000000000), "now: epoch ms");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_file();
    test_env();
    test_url();
    test_url_password();
    test_redact();
    test_time();
    {
        /* The files go with their directory. */
        const char *rm = apr_pstrcat(pool, "rm -rf ", dir, NULL);

        if (system(rm) != 0) {
            printf("# cannot remove %s\n", dir);
        }
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
