package org.fusekicdc.source.postgres;

import java.util.List;

import org.fusekicdc.source.relational.R2rmlSourceContract;

/** {@link R2rmlSourceContract} on PostgreSQL: every natural type, timestamptz, bytea and uuid included. */
class PostgresR2rmlSourceIT extends R2rmlSourceContract {
    PostgresR2rmlSourceIT() {
        super(() -> PostgresTestDb.create("r2_"), new ItemTypes(
            "id int PRIMARY KEY, name text, code varchar(8), price numeric(8,2), ratio double precision, weight real, qty smallint, big bigint,"
            + " active boolean, born date, at time, ts timestamp, tstz timestamptz, data bytea, grade char(4), ref uuid",
            List.of("price", "ratio", "weight", "qty", "big", "active", "born", "at", "ts", "tstz", "data", "grade", "ref"),
            "1, 'Lamp', 'L-1', 12.50, 80.25, 1.5, 3, 9007199254740993, true, '1990-01-02', '10:11:12.5', '2020-02-03 04:05:06.789', '2020-02-03 04:05:06+02',"
            + " '\\xdeadbeef', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
            "3, 'Desk', 'D-3', 2.00, -0.5, 0, -7, 0, false, '2001-12-31', '00:00:00', '1999-12-31 23:59:59', '1999-12-31 23:59:59+00', '\\x00', 'xyz', NULL",
            "price = 13.75, active = false, ts = '2021-01-01 00:00:00.000001', name = NULL"));
    }
}
