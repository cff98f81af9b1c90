-- Searching for an e-mail address, or its part around the "@", from a
-- B-tree: every trigram of "lead500007@" can be in most rows (one lead's
-- address among a million like it), and a trigram index then reads long
-- posting lists. An address's local part ends with the text before the "@",
-- so its reversed local part starts with that text reversed: a range read.
-- Emails hold exactly one "@" (auth::domain::Email).
CREATE INDEX leads_search_email_local ON leads
    (organisation_id, reverse(split_part(leadline_fold(email), '@', 1)) text_pattern_ops);
