# SPDX-License-Identifier: Apache-2.0
# mod_invite - Rocket.Chat invite-link REST API as an Apache httpd 2.4 module.
#
#   make            build .libs/mod_invite.so with apxs
#   make install    install the module and Debian's mods-available files
#   make uninstall  remove what make install installed (never a database)
#   make unit       C unit tests of the httpd-free core
#   make rl-capacity  rate-limit windows httpd's shmcb holds per size
#   make fuzz       libFuzzer harnesses over the core (FUZZ_SECONDS each)
#   make test       everything (installs missing packages; see README)
#   make run        demo server on 127.0.0.1:8080 with a SQLite database
#   make deb        the Debian packages libapache2-mod-invite and
#                   invite-sync in build/deb/

APXS       ?= apxs
CC         ?= cc
WARN        = -Wall -Wextra -Werror -Wno-missing-field-initializers
DEBUGFLAGS ?= -g -O2

# httpd-free core: plain C over APR, jansson, libcrypto and libcurl (the
# invitation mail's SMTP delivery, src/invite_mail.c), and the SQL.
CORE_SRC = src/invite_id.c src/invite_token.c src/invite_time.c \
           src/invite_url.c src/invite_body.c src/invite_json.c \
           src/invite_find.c src/invite_cache.c src/invite_use.c \
           src/invite_ratelimit_core.c src/invite_status_core.c \
           src/invite_dbname.c src/invite_sql.c
# Database calls over apr_dbd: the module, invitectl, the sync daemon.
CORE_SRC += src/invite_dbc.c
# Invitation mail over SMTP to the local relay (libcurl).
CORE_SRC += src/invite_mail.c
# httpd glue: config, hooks, dispatch, database access, endpoint handlers.
GLUE_SRC = mod_invite.c src/mod_invite_config.c \
           src/mod_invite_config_walk.c src/mod_invite_http.c \
           src/mod_invite_db.c src/mod_invite_db_error.c \
           src/mod_invite_ratelimit.c src/mod_invite_status.c \
           src/handle/invite_handle_find_or_create.c \
           src/handle/invite_handle_common.c src/handle/invite_handle_list.c \
           src/handle/invite_handle_remove.c src/handle/invite_handle_use.c \
           src/handle/invite_handle_validate.c \
           src/handle/invite_handle_send_email.c \
           src/handle/invite_handle_log.c
# include/: the core's headers, no httpd header among them; src/ and
# src/handle/: the glue's, each beside its .c (src/mod_invite_private.h).
CORE_HEADERS = $(wildcard include/*.h)
GLUE_HEADERS = $(wildcard src/*.h src/handle/*.h)
HEADERS  = $(CORE_HEADERS) $(GLUE_HEADERS)

MODULE   = .libs/mod_invite.so
LIBS     = -ljansson -lcrypto
# What CORE_SRC needs beyond LIBS: wherever CORE_SRC is linked.
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
CORE_LIBS = $(LIBS) $(CURL_LIBS)
# The module asks SQLite itself whether a connection's file has moved
# (src/mod_invite_db.c); apr_dbd's sqlite3 driver loads the same library.
MODULE_LIBS = -lsqlite3
# ... and libpq whether a pgsql connection's server takes writes, and to
# connect it again to the primary (failover, docs/postgresql.md).
PQ_INCLUDEDIR := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
MODULE_LIBS += -lpq

APR_CFLAGS := $(shell apr-1-config --cflags --cppflags --includes 2>/dev/null) $(shell apu-1-config --includes 2>/dev/null)
APR_LIBS   := $(shell apr-1-config --link-ld --libs 2>/dev/null) $(shell apu-1-config --link-ld 2>/dev/null)

all: $(MODULE) build/invite-sql-dump build/invitectl build/rl-shmcb-capacity \
     build/invite-mail-send

$(MODULE): $(CORE_SRC) $(GLUE_SRC) $(HEADERS)
	@mkdir -p build; echo "  APXS  mod_invite.la"
	@$(APXS) -c -o mod_invite.la -Iinclude -Isrc -I$(PQ_INCLUDEDIR) \
	    $(foreach f,$(WARN) $(DEBUGFLAGS) $(EXTRA_CFLAGS),-Wc,$(f)) \
	    $(foreach f,$(EXTRA_LDFLAGS),-Wl,$(f)) \
	    $(CORE_SRC) $(GLUE_SRC) $(CORE_LIBS) $(MODULE_LIBS) > build/apxs.log 2>&1 \
	    || { cat build/apxs.log; exit 1; }

# ---------------------------------------------------------------- install
SYSCONFDIR := $(shell $(APXS) -q SYSCONFDIR 2>/dev/null)
LIBEXECDIR := $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
SHAREDIR    = /usr/share/mod-invite
# What make install puts there, and so what make uninstall removes.
MODS_FILES  = invite.load invite.conf
SHARE_FILES = schema-sqlite3.sql schema-pgsql.sql site-example.conf \
              site-example-tls.conf site-rocketchat.conf
CTL_BIN     = /usr/sbin/invitectl
CTL_MAN     = /usr/share/man/man8/invitectl.8
install: $(MODULE) build/invitectl install-sync
	install -d $(DESTDIR)$(LIBEXECDIR)
	$(APXS) -S LIBEXECDIR=$(DESTDIR)$(LIBEXECDIR) -i -n invite mod_invite.la
	install -d $(DESTDIR)$(SYSCONFDIR)/mods-available
	install -m 644 $(addprefix conf/,$(MODS_FILES)) \
	    $(DESTDIR)$(SYSCONFDIR)/mods-available/
	install -d $(DESTDIR)$(SHAREDIR)
	install -m 644 $(addprefix conf/,$(SHARE_FILES)) $(DESTDIR)$(SHAREDIR)/
	install -D -m 755 build/invitectl $(DESTDIR)$(CTL_BIN)
	install -D -m 644 docs/invitectl.8 $(DESTDIR)$(CTL_MAN)
	for f in $(MIGRATIONS); do \
	    install -D -m 644 $$f $(DESTDIR)$(SHAREDIR)/$${f#conf/}; done
	@echo "Now: a2enmod invite, create the database (README), reload apache2."

# invite-sync (docs/invite-sync.8, docs/rocketchat.md): the daemon, its
# manual page, its systemd unit and an example settings file.
SYSTEMD_UNITDIR := $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null | grep . || echo /lib/systemd/system)
SYNC_FILES  = /usr/sbin/invite-sync /usr/share/man/man8/invite-sync.8 \
              $(SYSTEMD_UNITDIR)/invite-sync.service \
              /usr/share/doc/invite-sync/examples/invite-sync.conf.example
install-sync: build/invite-sync
	install -D -m 755 build/invite-sync $(DESTDIR)/usr/sbin/invite-sync
	install -D -m 644 docs/invite-sync.8 $(DESTDIR)/usr/share/man/man8/invite-sync.8
	install -D -m 644 conf/invite-sync.service $(DESTDIR)$(SYSTEMD_UNITDIR)/invite-sync.service
	install -D -m 644 conf/invite-sync.conf.example \
	    $(DESTDIR)/usr/share/doc/invite-sync/examples/invite-sync.conf.example

# Removes what make install put there, nothing else: never a database
# (/var/lib/mod-invite or PostgreSQL), never a site that copied an
# example.  Refuses while the module is enabled: apache2 would not start.
uninstall:
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/mods-enabled/invite.load ]; then \
	    echo "mod_invite is enabled: a2dismod invite (and a2dissite the" \
	         "sites that use it) first, then make uninstall." >&2; exit 1; fi
	rm -f $(DESTDIR)$(LIBEXECDIR)/mod_invite.so
	rm -f $(addprefix $(DESTDIR)$(SYSCONFDIR)/mods-available/,$(MODS_FILES))
	rm -f $(addprefix $(DESTDIR)$(SHAREDIR)/,$(SHARE_FILES))
	rm -f $(DESTDIR)$(CTL_BIN) $(DESTDIR)$(CTL_MAN)
	rm -f $(addprefix $(DESTDIR)$(SHAREDIR)/,$(MIGRATIONS:conf/%=%))
	for d in $(DESTDIR)$(SHAREDIR)/migrations/*/ $(DESTDIR)$(SHAREDIR)/migrations; do \
	    [ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d; done
	[ ! -d $(DESTDIR)$(SHAREDIR) ] || rmdir --ignore-fail-on-non-empty $(DESTDIR)$(SHAREDIR)
	rm -f $(addprefix $(DESTDIR),$(SYNC_FILES))
	for d in $(DESTDIR)/usr/share/doc/invite-sync/examples $(DESTDIR)/usr/share/doc/invite-sync; do \
	    [ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d; done
	@echo "Removed mod_invite.  Databases were left alone (e.g." \
	      "/var/lib/mod-invite): remove them yourself if you no longer need them."

# invitectl, the admin command (docs/invitectl.8), with the schemas and
# migrations of conf/ embedded by tools/embed-sql.pl.
CTL_SRC = $(wildcard src/ctl/*.c) src/invite_sql.c src/invite_dbc.c \
          src/invite_id.c src/invite_token.c src/invite_time.c \
          src/invite_dbname.c src/invite_apconf.c
# Installed too, as /usr/share/mod-invite/migrations/<engine>/NNN-name.sql.
MIGRATIONS = $(sort $(wildcard conf/migrations/*/[0-9][0-9][0-9]-*.sql))
CTL_SQL = conf/schema-sqlite3.sql conf/schema-pgsql.sql $(MIGRATIONS)

# The directories too: removing a migration changes only their mtime.
build/invitectl-sql.c: tools/embed-sql.pl $(CTL_SQL) $(wildcard conf/migrations/*/)
	@mkdir -p build
	perl tools/embed-sql.pl $(CTL_SQL) > $@.tmp && mv $@.tmp $@

build/invitectl: $(CTL_SRC) build/invitectl-sql.c $(HEADERS) src/ctl/ctl.h
	$(CC) $(WARN) $(DEBUGFLAGS) $(EXTRA_CFLAGS) -Iinclude $(APR_CFLAGS) \
	    -o $@ $(CTL_SRC) build/invitectl-sql.c $(EXTRA_LDFLAGS) \
	    $(APR_LIBS) $(LIBS)

# Prints the prepared statements (make sql).
build/invite-sql-dump: tools/invite_sql_dump.c src/invite_sql.c include/invite_sql.h
	@mkdir -p build
	$(CC) $(WARN) -Iinclude -o $@ tools/invite_sql_dump.c src/invite_sql.c

sql: build/invite-sql-dump
	@build/invite-sql-dump

# How many rate-limit windows httpd's mod_socache_shmcb holds per size
# (make rl-capacity; RL_SIZES="bytes ..." for other sizes).
HTTPD_INCLUDEDIR := $(shell $(APXS) -q INCLUDEDIR 2>/dev/null)
build/rl-shmcb-capacity: tools/rl_shmcb_capacity.c $(CORE_SRC) $(HEADERS)
	@mkdir -p build
	$(CC) $(WARN) -O2 -Iinclude -Isrc -I$(HTTPD_INCLUDEDIR) $(APR_CFLAGS) -rdynamic \
	    -o $@ tools/rl_shmcb_capacity.c $(CORE_SRC) $(APR_LIBS) $(CORE_LIBS) -ldl

# Sends invitations as the route does, to a relay (t/mail.t; docs/mail.md).
build/invite-mail-send: tools/invite_mail_send.c $(CORE_SRC) $(HEADERS)
	@mkdir -p build
	$(CC) $(WARN) $(DEBUGFLAGS) $(EXTRA_CFLAGS) -Iinclude $(APR_CFLAGS) \
	    -o $@ tools/invite_mail_send.c $(CORE_SRC) $(EXTRA_LDFLAGS) \
	    $(APR_LIBS) $(CORE_LIBS)

rl-capacity: build/rl-shmcb-capacity
	build/rl-shmcb-capacity $(RL_SIZES)

# ------------------------------------------------------------- unit tests
UNIT_TESTS = $(patsubst t/unit/%.c,build/unit/%,$(wildcard t/unit/test_*.c))
UNIT_CFLAGS = $(WARN) -g -O1 -Iinclude $(APR_CFLAGS) $(SANITIZE)

build/unit/%: t/unit/%.c $(CORE_SRC) $(HEADERS) t/unit/tap.h
	@mkdir -p build/unit
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_SRC) $(APR_LIBS) $(CORE_LIBS)

# invite-sync's settings and messages (src/sync/invite_sync_settings.c).
SYNC_SETTINGS = src/sync/invite_sync_settings.c src/sync/invite_sync.h
build/unit/test_sync_settings: t/unit/test_sync_settings.c $(SYNC_SETTINGS) t/unit/tap.h
	@mkdir -p build/unit
	$(CC) $(UNIT_CFLAGS) -Isrc/sync -o $@ $< src/sync/invite_sync_settings.c \
	    $(APR_LIBS) -lpthread

unit: check-layers $(UNIT_TESTS)
	prove -v --exec '' $(UNIT_TESTS)

# The #include lines keep the layers of src/mod_invite_private.h.
check-layers:
	@scripts/check-layers.pl

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer,
# each pool allocation a malloc of its own so that ASan sees its bounds
# (t/sanitizer/asan_pool.h).
ASAN_TESTS = $(patsubst t/unit/%.c,build/asan/%,$(wildcard t/unit/test_*.c))
ASAN_POOL  = t/sanitizer/asan_pool.h t/sanitizer/asan_pool.c
build/asan/%: t/unit/%.c $(CORE_SRC) $(HEADERS) t/unit/tap.h $(ASAN_POOL)
	@mkdir -p build/asan
	$(CC) $(UNIT_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -include t/sanitizer/asan_pool.h \
	    -o $@ $< $(CORE_SRC) t/sanitizer/asan_pool.c $(APR_LIBS) $(CORE_LIBS)

build/asan/test_sync_settings: t/unit/test_sync_settings.c $(SYNC_SETTINGS) t/unit/tap.h $(ASAN_POOL)
	@mkdir -p build/asan
	$(CC) $(UNIT_CFLAGS) -Isrc/sync -fsanitize=address,undefined \
	    -fno-sanitize-recover=all -include t/sanitizer/asan_pool.h -o $@ $< \
	    src/sync/invite_sync_settings.c t/sanitizer/asan_pool.c $(APR_LIBS) -lpthread

# invite-sync's store (src/sync/, include/invite_sync_store.h): change
# events to SQL, the full copy, lease and outbox; libbson, no MongoDB I/O.
BSON_CFLAGS := $(shell pkg-config --cflags libbson-1.0 2>/dev/null)
BSON_LIBS   := $(shell pkg-config --libs libbson-1.0 2>/dev/null || echo -lbson-1.0)
SYNC_STORE_SRC = src/sync/invite_sync_store.c src/sync/invite_sync_doc.c \
                 src/sync/invite_sync_apply.c src/sync/invite_sync_copy.c
SYNC_STORE_DEPS = $(SYNC_STORE_SRC) src/sync/invite_sync_private.h
build/unit/test_sync_store: t/unit/test_sync_store.c $(SYNC_STORE_DEPS) \
                            $(CORE_SRC) $(HEADERS) t/unit/tap.h
	@mkdir -p build/unit
	$(CC) $(UNIT_CFLAGS) $(BSON_CFLAGS) -o $@ $< $(SYNC_STORE_SRC) \
	    $(CORE_SRC) $(APR_LIBS) $(CORE_LIBS) $(BSON_LIBS) -lsqlite3
build/asan/test_sync_store: t/unit/test_sync_store.c $(SYNC_STORE_DEPS) \
                            $(CORE_SRC) $(HEADERS) t/unit/tap.h $(ASAN_POOL)
	@mkdir -p build/asan
	$(CC) $(UNIT_CFLAGS) $(BSON_CFLAGS) -fsanitize=address,undefined \
	    -fno-sanitize-recover=all -include t/sanitizer/asan_pool.h \
	    -o $@ $< $(SYNC_STORE_SRC) $(CORE_SRC) t/sanitizer/asan_pool.c \
	    $(APR_LIBS) $(CORE_LIBS) $(BSON_LIBS) -lsqlite3

# The store's speed: events applied per second and the full copy
# (bench/sync_apply_bench.c; --help-less, see its comment).
build/invite-sync-apply-bench: bench/sync_apply_bench.c $(SYNC_STORE_DEPS) \
                               $(CORE_SRC) $(HEADERS)
	@mkdir -p build
	$(CC) $(WARN) $(DEBUGFLAGS) $(EXTRA_CFLAGS) -Iinclude $(APR_CFLAGS) \
	    $(BSON_CFLAGS) -o $@ $< $(SYNC_STORE_SRC) $(CORE_SRC) \
	    $(EXTRA_LDFLAGS) $(APR_LIBS) $(CORE_LIBS) $(BSON_LIBS) -lsqlite3

# invite-sync, the daemon that follows Rocket.Chat's MongoDB into SQL and
# hands joins back to Rocket.Chat (docs/invite-sync.8): the only program
# linked with libmongoc.  src/sync/invite_sync_{main,settings,mongo,outbox}.c
# are the daemon; SYNC_STORE_SRC the store it drives.
MONGOC_CFLAGS := $(shell pkg-config --cflags libmongoc-1.0 2>/dev/null)
MONGOC_LIBS   := $(shell pkg-config --libs libmongoc-1.0 2>/dev/null)
SYNCD_SRC = src/sync/invite_sync_main.c src/sync/invite_sync_settings.c \
            src/sync/invite_sync_mongo.c src/sync/invite_sync_outbox.c
SYNCD_ALL = $(SYNCD_SRC) $(SYNC_STORE_SRC) $(CORE_SRC) src/invite_apconf.c
all: build/invite-sync
build/invite-sync: $(SYNCD_ALL) $(HEADERS) $(wildcard src/sync/*.h)
	@mkdir -p build
	$(CC) $(WARN) $(DEBUGFLAGS) $(EXTRA_CFLAGS) -Iinclude -Isrc/sync \
	    $(APR_CFLAGS) $(MONGOC_CFLAGS) -o $@ $(SYNCD_ALL) $(EXTRA_LDFLAGS) \
	    $(APR_LIBS) $(CORE_LIBS) $(MONGOC_LIBS) -lsqlite3 -lpthread

# The same under AddressSanitizer and UndefinedBehaviorSanitizer, for the
# sync tests (INVITE_SYNC_BIN=build/asan/invite-sync).
build/asan/invite-sync: $(SYNCD_ALL) $(HEADERS) $(wildcard src/sync/*.h)
	@mkdir -p build/asan
	$(CC) $(WARN) -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	    -fno-sanitize-recover=all -Iinclude -Isrc/sync $(APR_CFLAGS) \
	    $(MONGOC_CFLAGS) -o $@ $(SYNCD_ALL) $(APR_LIBS) $(CORE_LIBS) \
	    $(MONGOC_LIBS) -lsqlite3 -lpthread

unit-sanitize: $(ASAN_TESTS)
	prove --exec '' $(ASAN_TESTS)

# ---------------------------------------------------------------- fuzzing
# libFuzzer harnesses over the core (fuzz/README).  make fuzz runs each for
# FUZZ_SECONDS (default 60) on a copy of fuzz/corpus; make fuzz-merge
# minimises what the last make fuzz found into fuzz/corpus.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES = $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_HARNESSES := $(filter-out fuzz_common,$(FUZZ_HARNESSES))
FUZZ_BINS    = $(addprefix build/fuzz/,$(FUZZ_HARNESSES))
# FUZZ_POOL_MALLOC and the --wrap flags give the core's pool allocations
# malloc red zones (fuzz/fuzz_common.c).
FUZZ_CFLAGS  = $(WARN) -g -O1 -Iinclude -Ifuzz $(APR_CFLAGS) \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
               -DFUZZ_POOL_MALLOC
FUZZ_LDFLAGS = -Wl,--wrap=apr_palloc,--wrap=apr_pstrmemdup,--wrap=apr_pstrdup

build/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_common.c fuzz/fuzz_common.h \
                   $(CORE_SRC) $(HEADERS)
	@mkdir -p build/fuzz; echo "  FUZZ  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< fuzz/fuzz_common.c $(CORE_SRC) \
	    $(FUZZ_LDFLAGS) $(APR_LIBS) $(CORE_LIBS)

# invite-sync's document mapping needs libbson and its sources.
build/fuzz/fuzz_sync_doc: fuzz/fuzz_sync_doc.c fuzz/fuzz_common.c \
                          fuzz/fuzz_common.h $(SYNC_STORE_DEPS) $(CORE_SRC) \
                          $(HEADERS)
	@mkdir -p build/fuzz; echo "  FUZZ  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(BSON_CFLAGS) -Isrc/sync -o $@ $< \
	    fuzz/fuzz_common.c src/sync/invite_sync_doc.c $(CORE_SRC) \
	    $(FUZZ_LDFLAGS) $(APR_LIBS) $(CORE_LIBS) $(BSON_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

fuzz-merge:
	scripts/fuzz.sh --merge

.PHONY: fuzz fuzz-build fuzz-merge

# ------------------------------------------------------------ test & run
test:
	scripts/test.sh

# invite-sync against a real replica set and Rocket.Chat (t/sync_live.t):
# INVITE_TEST_MONGO_URL, INVITE_TEST_ROCKETCHAT_URL, _USER_ID and _TOKEN
# (docs/rocketchat.md); without them a visible SKIP line.
.PHONY: test-live
test-live:
	@if [ -z "$${INVITE_TEST_MONGO_URL:-}" ]; then \
	  echo "SKIP no MongoDB replica set (INVITE_TEST_MONGO_URL unset)"; \
	else \
	  INVITE_TEST_QUICK=1 INVITE_TEST_ENGINES="$${INVITE_TEST_ENGINES:-sqlite3}" scripts/test.sh t/sync_live.t; \
	fi

# The whole Apache::Test suite, both engines, against a module built with
# ASan and UBSan (multi-process httpd), or under valgrind memcheck
# (httpd -X).  docs/development.md#sanitizers.
test-asan:
	INVITE_TEST_SANITIZE=asan scripts/test.sh

test-valgrind:
	INVITE_TEST_SANITIZE=valgrind scripts/test.sh

run:
	scripts/run.sh

clean:
	rm -rf .libs build *.la *.lo *.slo *.o src/*.lo src/*.slo src/*.o \
	    src/handle/*.lo src/handle/*.slo src/handle/*.o src/.libs src/handle/.libs
	-[ -f t/TEST ] || perl t/TEST.PL -clean >/dev/null 2>&1 || true

.PHONY: all install install-sync uninstall unit unit-sanitize test test-asan test-valgrind run clean sql \
	rl-capacity check-layers

# ------------------------------------------------------------------ deb
# make deb: dpkg-buildpackage -us -uc -b in a copy of the tree, the .deb
# in build/deb/ (scripts/make-deb.sh); make lintian checks what it built.
deb:
	scripts/make-deb.sh

lintian:
	lintian --info --display-info --pedantic build/deb/*.changes

.PHONY: deb lintian

# ------------------------------------------------------------------ bench
# make bench: SQLite and PostgreSQL against a static file (bench/results.md);
# make bench-smoke: the same path, small and short, for CI (no timing).
bench:
	bench/run.sh

bench-smoke:
	BENCH_SMOKE=1 bench/run.sh
	BENCH_SMOKE=1 bench/no-sql.sh no-sql
	BENCH_SMOKE=1 bench/no-sql.sh one-statement
	BENCH_SMOKE=1 bench/no-sql.sh lookups
	BENCH_SMOKE=1 bench/no-sql.sh three-lookups

# make bench-no-sql: find without its statement; make bench-one-statement:
# find after the simplest statement instead of its own; make bench-lookups:
# find after its six lookups, bare; make bench-three-lookups: after three
# of them (bench/no-sql.sh).
bench-no-sql:
	bench/no-sql.sh no-sql

bench-one-statement:
	bench/no-sql.sh one-statement

bench-lookups:
	bench/no-sql.sh lookups

bench-three-lookups:
	bench/no-sql.sh three-lookups

.PHONY: bench bench-smoke bench-no-sql bench-one-statement bench-lookups \
	bench-three-lookups

# make bench-failover: the failover workload alone (bench/failover.sh).
bench-failover:
	bench/failover.sh
.PHONY: bench-failover

# make bench-sync-apply: the figures on SQLite in build/, and on
# PostgreSQL when BENCH_SYNC_PG_PARAMS names a scratch database (its public
# schema is dropped).
bench-sync-apply: build/invite-sync-apply-bench
	build/invite-sync-apply-bench --driver sqlite3 \
	    --params build/sync-apply-bench.db --init
	[ -z "$(BENCH_SYNC_PG_PARAMS)" ] || build/invite-sync-apply-bench \
	    --driver pgsql --params "$(BENCH_SYNC_PG_PARAMS)" --init
	rm -f build/sync-apply-bench.db*

.PHONY: bench-sync-apply

# ----------------------------------------------------------------- mutate
# make mutate: known realistic bugs applied one at a time to a copy of the
# tree; each must make a fast suite fail (scripts/mutate.pl).
mutate:
	scripts/mutate.pl

.PHONY: mutate
