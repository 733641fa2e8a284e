"""Files for people and other programs: reports and receipts as text, CSV, JSON and PDF, and
streamed event exports. Everything here takes data the analytics computed; none of it queries."""
