package org.fusekicdc.source.relational;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;

/**
 * The crash tests' workload on a table {@code item} ({@link #TABLE}), mapped to subject
 * item/{id} with ex:n and ex:label: each transaction inserts the next item and updates an earlier
 * one (n + 1) or, one time in five, deletes it; and the rows the database then holds, as lines to
 * compare with the dataset's.
 */
public final class ItemWorkload {
    public static final String TABLE = "item (id int PRIMARY KEY, n int, label text)";
    private static final String EX = "http://example.org/";

    private final String table;
    private final Random random;
    /** The database's rows: id to {n}; label is "item id". */
    private final Map<Integer, int[]> rows = new TreeMap<>();
    private int next = 1;

    public ItemWorkload(String table, Random random) {
        this.table = table;
        this.random = random;
    }

    /** The rows the database holds after the transactions so far. */
    public Map<Integer, int[]> rows() {
        return rows;
    }

    /** One transaction's statements, on a connection without auto-commit: the caller commits. */
    public void change(Statement st) throws SQLException {
        int i = next++;
        st.execute("INSERT INTO " + table + " VALUES (" + i + ", 0, 'item " + i + "')");
        rows.put(i, new int[] {0});
        if ( i == 1 )
            return;
        int other = 1 + random.nextInt(i - 1);
        if ( !rows.containsKey(other) )
            return;
        if ( random.nextInt(5) == 0 ) {
            st.execute("DELETE FROM " + table + " WHERE id = " + other);
            rows.remove(other);
        } else {
            st.execute("UPDATE " + table + " SET n = n + 1 WHERE id = " + other);
            rows.get(other)[0]++;
        }
    }

    /** Rows (id to {n}, label "item id") as "id n N" and "id label item id" lines. */
    public static Set<String> expected(Map<Integer, int[]> rows) {
        Set<String> want = new TreeSet<>();
        rows.forEach((id, n) -> {
            want.add(id + " n " + n[0]);
            want.add(id + " label item " + id);
        });
        return want;
    }

    /** The dataset's item triples as the lines of {@link #expected(Map)}. */
    public static Set<String> inDataset(DatasetGraph dsg) {
        Set<String> have = new TreeSet<>();
        Txn.executeRead(dsg, () -> dsg.find().forEachRemaining(q -> {
            String id = q.getSubject().getURI().substring((EX + "item/").length());
            String p = q.getPredicate().getURI().substring(EX.length());
            have.add(id + " " + p + " " + q.getObject().getLiteralLexicalForm());
        }));
        return have;
    }
}
