package org.fusekicdc.source.mariadb;

import java.util.List;

import org.fusekicdc.source.relational.R2rmlSourceContract;

/** {@link R2rmlSourceContract} on MariaDB: every natural type, bit(1), year and varbinary included. */
class MariaDbR2rmlSourceIT extends R2rmlSourceContract {
    MariaDbR2rmlSourceIT() {
        super(() -> MariaDbTestDb.create("r2_"), new ItemTypes(
            "id int PRIMARY KEY, name text, code varchar(8), price decimal(8,2), ratio double, weight float, qty smallint, big bigint,"
            + " active tinyint(1), flag bit(1), born date, at time(1), ts datetime(3), tstz timestamp NULL, data varbinary(16), grade char(4), yr year",
            List.of("price", "ratio", "weight", "qty", "big", "active", "flag", "born", "at", "ts", "tstz", "data", "grade", "yr"),
            "1, 'Lamp', 'L-1', 12.50, 80.25, 1.5, 3, 9007199254740993, 1, b'1', '1990-01-02', '10:11:12.5', '2020-02-03 04:05:06.789', '2020-02-03 04:05:06', x'deadbeef', 'ab', 2024",
            "3, 'Desk', 'D-3', 2.00, -0.5, 0, -7, 0, 0, b'0', '2001-12-31', '00:00:00', '1999-12-31 23:59:59', '1999-12-31 23:59:59', x'00', 'xyz', 1999",
            "price = 13.75, active = 0, ts = '2021-01-01 00:00:00.001', name = NULL"));
    }
}
