-- The original platform's schema (db/tatou.sql as described in platform.md §2.1), used to test
-- `tatou migrate from-flask` against a real MariaDB.
CREATE TABLE Users (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  email VARCHAR(320) NOT NULL,
  hpassword VARCHAR(255) NOT NULL,
  login VARCHAR(64) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE Documents (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  path VARCHAR(1024) NOT NULL,
  ownerid BIGINT UNSIGNED NOT NULL,
  creation DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  sha256 BINARY(32) NOT NULL,
  size BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_Documents_path (path),
  KEY ix_Documents_ownerid (ownerid),
  KEY ix_Documents_sha256 (sha256),
  CONSTRAINT fk_Documents_owner FOREIGN KEY (ownerid) REFERENCES Users(id)
    ON UPDATE CASCADE ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE Versions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  documentid BIGINT UNSIGNED NOT NULL,
  link VARCHAR(255) NOT NULL,
  intended_for VARCHAR(320) NULL,
  secret VARCHAR(320) NOT NULL,
  method VARCHAR(32) NOT NULL,
  position TEXT NULL,
  path VARCHAR(320) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_Versions_link (link),
  KEY ix_Versions_documentid (documentid),
  CONSTRAINT fk_Versions_document FOREIGN KEY (documentid) REFERENCES Documents(id)
    ON UPDATE CASCADE ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
