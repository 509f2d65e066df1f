-- Each queue row drew its number from the shared sequence, one buffer
-- lock (and a log record every 32 numbers) per ingested event. Numbers
-- only order rows that became ready at the same instant (the rows of one
-- transaction, numbered by one connection in increasing order), so each
-- connection may take a thousand at a time.
ALTER TABLE projection_queue ALTER COLUMN seq SET CACHE 1000;
