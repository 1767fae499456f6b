package org.fusekicdc.core.internal.wire;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.TextDirection;
import org.apache.jena.graph.Triple;
import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * Writes one patch as a JSON change event while the patch is read, never holding more than
 * one change: identity and commit facts first (from the log record, and the patch's own
 * headers: epoch, user, request id, commit message, revert, promotion and source), then the
 * changes in patch order. Terms use the SPARQL 1.1 Query Results JSON encoding (with RDF 1.2
 * triple terms and base direction).
 * The shape is the JSON Schema {@code change-event.schema.json}.
 */
public final class JsonChangeWriter implements RDFChanges, AutoCloseable {
    private final PatchRecord patch;
    private final Writer out;
    private final Map<String, Node> headers = new LinkedHashMap<>();
    private boolean started;
    private boolean firstChange = true;
    private boolean closed;

    public JsonChangeWriter(PatchRecord patch, OutputStream out) {
        this.patch = patch;
        this.out = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 8192);
    }

    @Override
    public void header(String field, Node value) {
        // Headers come before any change in a patch; those after the first change are ignored.
        if ( !started )
            headers.put(field, value);
    }

    @Override
    public void add(Node g, Node s, Node p, Node o) {
        quad("add", g, s, p, o);
    }

    @Override
    public void delete(Node g, Node s, Node p, Node o) {
        quad("delete", g, s, p, o);
    }

    @Override
    public void addPrefix(Node gn, String prefix, String uriStr) {
        change("addPrefix");
        graph(gn);
        w(",\"prefix\":");
        string(prefix);
        w(",\"namespace\":");
        string(uriStr);
        w("}");
    }

    @Override
    public void deletePrefix(Node gn, String prefix) {
        change("deletePrefix");
        graph(gn);
        w(",\"prefix\":");
        string(prefix);
        w("}");
    }

    // One patch is one transaction: its markers carry nothing the event does not already say.
    @Override
    public void txnBegin() {}

    @Override
    public void txnCommit() {}

    @Override
    public void txnAbort() {}

    @Override
    public void segment() {}

    @Override
    public void start() {}

    @Override
    public void finish() {}

    /** End the event (also for a patch without changes) and flush it. */
    @Override
    public void close() throws IOException {
        if ( closed )
            return;
        try {
            begin();
            w("]}");
            out.flush();
        } catch (UncheckedIOException ex) {
            throw ex.getCause();
        }
        closed = true;
    }

    private void quad(String op, Node g, Node s, Node p, Node o) {
        change(op);
        graph(g);
        w(",\"subject\":");
        term(s);
        w(",\"predicate\":");
        term(p);
        w(",\"object\":");
        term(o);
        w("}");
    }

    private void change(String op) {
        begin();
        w(firstChange ? "{\"op\":\"" : ",{\"op\":\"");
        firstChange = false;
        w(op);
        w("\"");
    }

    private void graph(Node g) {
        if ( g == null || Quad.isDefaultGraph(g) )
            return;
        w(",\"graph\":");
        term(g);
    }

    private void begin() {
        if ( started )
            return;
        started = true;
        w("{\"id\":");
        string(patch.meta().id().toString());
        if ( patch.meta().prevId() != null ) {
            w(",\"prev\":");
            string(patch.meta().prevId().toString());
        }
        w(",\"version\":");
        w(Long.toString(patch.version()));
        Node epoch = headers.get(PatchHeaders.EPOCH);
        if ( epoch != null && epoch.isLiteral() ) {
            w(",\"epoch\":");
            w(Long.toString(Long.parseLong(epoch.getLiteralLexicalForm())));
        }
        w(",\"dataset\":");
        string(patch.dataset());
        w(",\"timestamp\":");
        string(Instant.ofEpochMilli(patch.meta().timestamp()).toString());
        optional("user", PatchHeaders.USER);
        optional("requestId", PatchHeaders.REQUEST_ID);
        optional("message", PatchHeaders.MESSAGE);
        integer("reverts", PatchHeaders.REVERTS);
        Node revertsId = headers.get(PatchHeaders.REVERTS_ID);
        if ( revertsId != null ) {
            // The header names the patch as uuid:...; the event's ids are bare, like id and prev.
            w(",\"revertsId\":");
            string(text(revertsId).replaceFirst("^uuid:", ""));
        }
        optional("revertedBy", PatchHeaders.REVERTED_BY);
        flag("promoted", PatchHeaders.PROMOTED);
        boolean source = headers.containsKey(PatchHeaders.SOURCE);
        if ( source ) {
            w(",\"source\":{\"name\":");
            string(text(headers.get(PatchHeaders.SOURCE)));
            optional("connector", PatchHeaders.SOURCE_CONNECTOR);
            optional("lsn", PatchHeaders.SOURCE_LSN);
            optional("binlog", PatchHeaders.SOURCE_BINLOG);
            optional("gtid", PatchHeaders.SOURCE_GTID);
            optional("txId", PatchHeaders.SOURCE_TXID);
            flag("snapshot", PatchHeaders.SOURCE_SNAPSHOT);
            Node cleared = headers.get(PatchHeaders.SOURCE_SNAPSHOT_CLEARED);
            if ( cleared != null ) {
                w(",\"snapshotCleared\":[");
                String sep = "";
                for ( String table : text(cleared).split(",") ) {
                    if ( table.isBlank() )
                        continue;
                    w(sep);
                    string(table.strip());
                    sep = ",";
                }
                w("]");
            }
            integer("transactions", PatchHeaders.SOURCE_TRANSACTIONS);
            w("}");
        }
        w(",\"changes\":[");
    }

    private void integer(String name, String header) {
        Node n = headers.get(header);
        if ( n == null )
            return;
        w(",\"" + name + "\":");
        w(Long.toString(Long.parseLong(text(n).strip())));
    }

    private void flag(String name, String header) {
        Node n = headers.get(header);
        if ( n != null )
            w(",\"" + name + "\":" + Boolean.parseBoolean(text(n).strip()));
    }

    private void optional(String name, String header) {
        Node n = headers.get(header);
        if ( n == null )
            return;
        w(",\"" + name + "\":");
        string(text(n));
    }

    private static String text(Node n) {
        return n.isLiteral() ? n.getLiteralLexicalForm() : n.isURI() ? n.getURI() : n.toString();
    }

    private void term(Node n) {
        if ( n.isURI() ) {
            w("{\"type\":\"uri\",\"value\":");
            string(n.getURI());
            w("}");
        } else if ( n.isBlank() ) {
            w("{\"type\":\"bnode\",\"value\":");
            string(n.getBlankNodeLabel());
            w("}");
        } else if ( n.isLiteral() ) {
            w("{\"type\":\"literal\",\"value\":");
            string(n.getLiteralLexicalForm());
            String lang = n.getLiteralLanguage();
            if ( lang != null && !lang.isEmpty() ) {
                w(",\"xml:lang\":");
                string(lang);
                TextDirection dir = n.getLiteralBaseDirection();
                if ( dir != null ) {
                    w(",\"its:dir\":");
                    string(dir.direction());
                }
            } else {
                w(",\"datatype\":");
                string(n.getLiteralDatatypeURI());
            }
            w("}");
        } else if ( n.isTripleTerm() ) {
            Triple t = n.getTriple();
            w("{\"type\":\"triple\",\"value\":{\"subject\":");
            term(t.getSubject());
            w(",\"predicate\":");
            term(t.getPredicate());
            w(",\"object\":");
            term(t.getObject());
            w("}}");
        } else {
            throw new IllegalArgumentException("Patch version " + patch.version() + " of dataset '" + patch.dataset() + "' holds " + n
                                               + ", which is not an RDF term and has no JSON form");
        }
    }

    private void string(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        sb.append('"');
        for ( int i = 0 ; i < s.length() ; i++ ) {
            char c = s.charAt(i);
            switch ( c ) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    // Control characters, and lone surrogates that UTF-8 cannot carry.
                    if ( c < 0x20 || (Character.isSurrogate(c) && !validPair(s, i)) )
                        sb.append(String.format("\\u%04x", (int)c));
                    else
                        sb.append(c);
                }
            }
        }
        sb.append('"');
        w(sb.toString());
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if ( Character.isHighSurrogate(c) )
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    private void w(String s) {
        try {
            out.write(s);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
