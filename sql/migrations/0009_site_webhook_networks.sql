-- Networks one site's webhooks may reach beyond the public internet (say its WordPress on
-- loopback), set only by the operator (`moderation sites webhook SLUG --allow-network`);
-- MODERATION_WEBHOOK_ALLOWED_NETWORKS still applies to every site.
ALTER TABLE sites ADD COLUMN webhook_networks cidr[] NOT NULL DEFAULT '{}';
