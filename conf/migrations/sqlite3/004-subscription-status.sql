-- Schema version 4: subscriptions carry Rocket.Chat's status, 'BANNED' for
-- a banned member (useInviteToken refuses them since Rocket.Chat 8.4.0,
-- docs/api.md#use-invite-token), NULL otherwise; and the permission
-- sendInvitationEmail needs, bulk-register-user, granted to admin as
-- Rocket.Chat seeds it.  Existing subscriptions are not banned.
ALTER TABLE subscriptions ADD COLUMN status TEXT;
INSERT INTO permission_roles (permission, role) VALUES
    ('bulk-register-user', 'admin')
ON CONFLICT DO NOTHING;
