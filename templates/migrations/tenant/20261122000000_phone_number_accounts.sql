-- Phone numbers remember which Twilio account owns them (the tenant's own account or the
-- platform's: release, routing and reconcile must use that account's credentials, whichever is
-- configured today), the friendly name crmctl gave them at purchase (the saga's marker: a purchase
-- whose answer was lost is found again by it), and the voice URL the AI answers on (what
-- `number route --ai on` restores after forwarding to the owner).
ALTER TABLE phone_numbers
  ADD COLUMN twilio_account_sid text,
  ADD COLUMN friendly_name text,
  ADD COLUMN ai_voice_url text;
