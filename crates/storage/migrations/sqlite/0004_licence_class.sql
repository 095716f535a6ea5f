-- The class of a commit's effective licence (osi-approved, community-model, non-commercial, ...),
-- for listing filters.
ALTER TABLE assessments ADD COLUMN licence_class TEXT;
