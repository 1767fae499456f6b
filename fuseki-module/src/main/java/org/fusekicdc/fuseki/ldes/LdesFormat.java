package org.fusekicdc.fuseki.ldes;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.jena.atlas.io.AWriter;
import org.apache.jena.atlas.io.IO;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.riot.WebContent;
import org.apache.jena.riot.out.NodeFormatter;
import org.apache.jena.riot.out.NodeFormatterNT;
import org.apache.jena.riot.out.NodeFormatterTTL;
import org.apache.jena.riot.system.PrefixMap;
import org.apache.jena.riot.system.PrefixMapFactory;
import org.apache.jena.vocabulary.XSD;

/**
 * The serialisations of the stream, each written a batch of triples at a time (a page's
 * description, then one member after the other) so that a page is never held whole.
 */
enum LdesFormat {
    TURTLE(WebContent.contentTypeTurtle), NTRIPLES(WebContent.contentTypeNTriples), JSONLD(WebContent.contentTypeJSONLD);

    final String contentType;

    LdesFormat(String contentType) {
        this.contentType = contentType;
    }

    static LdesFormat of(String contentType) {
        for ( LdesFormat f : values() )
            if ( f.contentType.equals(contentType) )
                return f;
        throw new IllegalArgumentException(contentType);
    }

    /**
     * The format an {@code Accept} header prefers (RFC 9110: each format takes the quality of the
     * most specific range that matches it; the highest quality wins, Turtle first among equals),
     * or null when it accepts none. Jena's {@code AcceptList} finds no match in the long lists
     * RDF clients send (that of the Comunica-based {@code ldes-client}, for one), hence this.
     */
    static LdesFormat negotiate(String accept) {
        LdesFormat best = null;
        double bestQ = 0;
        for ( LdesFormat f : values() ) {
            double q = quality(accept, f.contentType);
            if ( q > bestQ ) {
                best = f;
                bestQ = q;
            }
        }
        return best;
    }

    private static double quality(String accept, String contentType) {
        String type = contentType.substring(0, contentType.indexOf('/'));
        int bestSpecificity = -1;
        double q = 0;
        for ( String range : accept.split(",") ) {
            String[] parts = range.split(";");
            String mt = parts[0].trim().toLowerCase(java.util.Locale.ROOT);
            int specificity = mt.equals(contentType) ? 2 : mt.equals(type + "/*") ? 1 : mt.equals("*/*") ? 0 : -1;
            if ( specificity <= bestSpecificity )
                continue;
            double rq = 1;
            for ( int i = 1 ; i < parts.length ; i++ ) {
                String p = parts[i].trim();
                if ( p.startsWith("q=") ) {
                    try {
                        rq = Double.parseDouble(p.substring(2).trim());
                    } catch (NumberFormatException ex) {
                        rq = 0;
                    }
                }
            }
            bestSpecificity = specificity;
            q = rq;
        }
        return q;
    }

    /** A new writer for one response. */
    Writer writer() {
        return switch (this) {
            case TURTLE -> new LineWriter(true);
            case NTRIPLES -> new LineWriter(false);
            case JSONLD -> new JsonLdWriter();
        };
    }

    /** Writes one document: its start, batches of triples, its end, each as bytes. */
    interface Writer {
        byte[] start();

        byte[] triples(List<Triple> triples);

        byte[] end();
    }

    /** N-Triples, or Turtle: the prefixes, then one triple a line with prefixed names. */
    private static final class LineWriter implements Writer {
        private final boolean turtle;
        private final NodeFormatter fmt;

        LineWriter(boolean turtle) {
            this.turtle = turtle;
            if ( turtle ) {
                PrefixMap pm = PrefixMapFactory.create();
                LdesVocab.PREFIXES.forEach(pm::add);
                this.fmt = new NodeFormatterTTL(null, pm);
            } else
                this.fmt = new NodeFormatterNT();
        }

        @Override
        public byte[] start() {
            if ( !turtle )
                return new byte[0];
            StringBuilder sb = new StringBuilder();
            new TreeMap<>(LdesVocab.PREFIXES).forEach((p, ns) -> sb.append("@prefix ").append(p).append(": <").append(ns).append("> .\n"));
            return sb.append('\n').toString().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] triples(List<Triple> triples) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            AWriter w = IO.wrapUTF8(bytes);
            for ( Triple t : triples ) {
                fmt.format(w, t.getSubject());
                w.write(' ');
                fmt.format(w, t.getPredicate());
                w.write(' ');
                fmt.format(w, t.getObject());
                w.write(" .\n");
            }
            w.flush();
            return bytes.toByteArray();
        }

        @Override
        public byte[] end() {
            return new byte[0];
        }
    }

    /** JSON-LD: {@code {"@graph": [...]}}, one node object per subject of a batch, full IRIs, no context to fetch. */
    private static final class JsonLdWriter implements Writer {
        private boolean first = true;

        @Override
        public byte[] start() {
            return "{\"@graph\": [\n".getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] triples(List<Triple> triples) {
            Map<Node, Map<String, StringBuilder>> bySubject = new LinkedHashMap<>();
            for ( Triple t : triples ) {
                StringBuilder values = bySubject.computeIfAbsent(t.getSubject(), s -> new LinkedHashMap<>())
                    .computeIfAbsent(t.getPredicate().getURI(), p -> new StringBuilder());
                if ( !values.isEmpty() )
                    values.append(", ");
                value(values, t.getObject());
            }
            StringBuilder sb = new StringBuilder();
            bySubject.forEach((s, props) -> {
                sb.append(first ? "  {" : ",\n  {");
                first = false;
                sb.append("\"@id\": ");
                string(sb, id(s));
                props.forEach((p, values) -> {
                    sb.append(", ");
                    string(sb, p);
                    sb.append(": [").append(values).append(']');
                });
                sb.append('}');
            });
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] end() {
            return "\n]}\n".getBytes(StandardCharsets.UTF_8);
        }

        private static String id(Node n) {
            return n.isBlank() ? "_:" + n.getBlankNodeLabel() : n.getURI();
        }

        private static void value(StringBuilder sb, Node o) {
            if ( !o.isLiteral() ) {
                sb.append("{\"@id\": ");
                string(sb, id(o));
                sb.append('}');
                return;
            }
            sb.append("{\"@value\": ");
            string(sb, o.getLiteralLexicalForm());
            String lang = o.getLiteralLanguage();
            if ( lang != null && !lang.isEmpty() ) {
                sb.append(", \"@language\": ");
                string(sb, lang);
            } else if ( !XSD.xstring.getURI().equals(o.getLiteralDatatypeURI()) ) {
                sb.append(", \"@type\": ");
                string(sb, o.getLiteralDatatypeURI());
            }
            sb.append('}');
        }

        private static void string(StringBuilder sb, String s) {
            sb.append('"');
            for ( int i = 0 ; i < s.length() ; i++ ) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if ( c < 0x20 )
                            sb.append(String.format("\\u%04x", (int)c));
                        else
                            sb.append(c);
                    }
                }
            }
            sb.append('"');
        }
    }
}
