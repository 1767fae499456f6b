package org.fusekicdc.rsp;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.QueryParseException;
import org.apache.jena.query.Syntax;
import org.fusekicdc.rsp.internal.RspqlTokens;
import org.fusekicdc.rsp.internal.RspqlTokens.Kind;
import org.fusekicdc.rsp.internal.RspqlTokens.Token;

/**
 * A parsed RSP-QL continuous query:
 * <pre>
 * REGISTER RSTREAM &lt;urn:out:avg&gt; AS
 * SELECT ?room (AVG(?t) AS ?avg)
 * FROM NAMED WINDOW &lt;urn:w&gt; ON &lt;https://w3id.org/fuseki-cdc#added&gt; [RANGE PT5M STEP PT1M]
 * WHERE { WINDOW &lt;urn:w&gt; { ?obs ex:sensor ?s ; ex:value ?t }  ?s ex:inRoom ?room }
 * GROUP BY ?room
 * </pre>
 * The REGISTER clause is optional (no name, RSTREAM). Window clauses:
 * {@code [RANGE d (STEP s)? (TIME p (LATENESS l)?)?]}, {@code [ROWS n]},
 * {@code [SESSION GAP d (TIME p (LATENESS l)?)?]}, with ISO 8601 durations ({@code PT30S});
 * {@code ON <stream> GRAPH <g>} restricts a stream to one named graph. Each
 * {@code WINDOW <w> { ... }} block matches the window's quads (graph names dropped) and, for
 * each event's subject {@code ?s}, {@code ?s cdc:time ?t} and {@code ?s cdc:version ?v}; the
 * rest of the query reads the dataset at the step's version.
 */
public final class ContinuousQuery {
    /** The SPARQL query form. */
    public enum Form { SELECT, ASK, CONSTRUCT }

    private final String name;
    private final StreamOperator operator;
    private final Form form;
    private final List<WindowSpec> windows;
    private final Query query;
    private final String text;

    private ContinuousQuery(String name, StreamOperator operator, Form form, List<WindowSpec> windows, Query query, String text) {
        this.name = name;
        this.operator = operator;
        this.form = form;
        this.windows = List.copyOf(windows);
        this.query = query;
        this.text = text;
    }

    /** The name after REGISTER, or null when the text has no REGISTER clause. */
    public String name() {
        return name;
    }

    public StreamOperator operator() {
        return operator;
    }

    public Form form() {
        return form;
    }

    /** The windows, in the order declared; the first one sets the step times. */
    public List<WindowSpec> windows() {
        return windows;
    }

    /**
     * The query as plain SPARQL: each {@code WINDOW <w> { ... }} became {@code GRAPH <w> { ... }},
     * the REGISTER and FROM NAMED WINDOW clauses are gone. Do not modify it.
     */
    public Query sparql() {
        return query;
    }

    /** The text it was parsed from. */
    public String text() {
        return text;
    }

    /** The same query under another name (for registrations that name it outside the text). */
    public ContinuousQuery withName(String newName) {
        return new ContinuousQuery(newName, operator, form, windows, query, text);
    }

    /** The same query with another operator (for a query whose operator is applied elsewhere). */
    public ContinuousQuery withOperator(StreamOperator newOperator) {
        return new ContinuousQuery(name, newOperator, form, windows, query, text);
    }

    @Override
    public String toString() {
        return "ContinuousQuery[" + name + ", " + operator + " " + form + ", windows=" + windows.size() + "]";
    }

    /** Whether a query text is a continuous query (has a REGISTER clause or a FROM NAMED WINDOW clause). */
    public static boolean isContinuous(String text) {
        List<Token> tokens = RspqlTokens.tokenize(text);
        for ( int i = 0; i < tokens.size(); i++ ) {
            if ( tokens.get(i).is("REGISTER") )
                return true;
            if ( tokens.get(i).is("FROM") && i + 2 < tokens.size() && tokens.get(i + 1).is("NAMED") && tokens.get(i + 2).is("WINDOW") )
                return true;
        }
        return false;
    }

    /**
     * Parse an RSP-QL text.
     *
     * @throws ContinuousQueryException for a malformed REGISTER or window clause, an unknown stream, a WINDOW
     *         block naming no declared window, a SPARQL syntax error, a DESCRIBE query, a FROM clause, or windows
     *         that cannot step together; the message gives the line, column and fix
     */
    public static ContinuousQuery parse(String text) {
        return new Parser(text).parse();
    }

    private static final class Parser {
        private final String text;
        private final List<Token> tokens;
        private final char[] rewritten;
        private final Map<String, String> prefixes = new HashMap<>();
        private final Map<Node, WindowSpec> windows = new LinkedHashMap<>();
        private String name;
        private StreamOperator operator = StreamOperator.RSTREAM;
        private int pos;

        Parser(String text) {
            this.text = text;
            this.tokens = RspqlTokens.tokenize(text);
            this.rewritten = text.toCharArray();
        }

        ContinuousQuery parse() {
            collectPrefixes();
            List<Token> windowBlocks = new ArrayList<>();
            for ( pos = 0; pos < tokens.size(); ) {
                Token t = tokens.get(pos);
                if ( t.is("REGISTER") )
                    register();
                else if ( t.is("FROM") && peek(1) != null && peek(1).is("NAMED") && peek(2) != null && peek(2).is("WINDOW") )
                    fromNamedWindow();
                else if ( t.is("WINDOW") ) {
                    windowBlocks.add(t);
                    pos++;
                } else
                    pos++;
            }
            if ( windows.isEmpty() )
                throw error("no window: a continuous query declares at least one FROM NAMED WINDOW <w> ON <"
                            + RspVocab.ADDED.getURI() + "> [RANGE PT1M]", tokens.isEmpty() ? null : tokens.get(0));
            for ( Token w : windowBlocks )
                windowBlock(w);
            checkSteps();
            Query q = sparql();
            Form form = switch (q.queryType()) {
                case SELECT -> Form.SELECT;
                case ASK -> Form.ASK;
                case CONSTRUCT -> Form.CONSTRUCT;
                default -> throw new ContinuousQueryException("a continuous query is SELECT, ASK or CONSTRUCT; "
                                                              + q.queryType() + " is not supported");
            };
            if ( !q.getGraphURIs().isEmpty() || !q.getNamedGraphURIs().isEmpty() )
                throw new ContinuousQueryException("FROM and FROM NAMED are not supported in a continuous query: the part "
                                                   + "outside WINDOW blocks reads the dataset; use GRAPH <g> { ... } instead");
            return new ContinuousQuery(name, operator, form, new ArrayList<>(windows.values()), q, text);
        }

        private Token peek(int ahead) {
            int i = pos + ahead;
            return i < tokens.size() ? tokens.get(i) : null;
        }

        private Token next(String expected) {
            Token t = peek(0);
            if ( t == null )
                throw error("the query ends where " + expected + " was expected", null);
            pos++;
            return t;
        }

        private void collectPrefixes() {
            for ( int i = 0; i + 2 < tokens.size(); i++ ) {
                if ( tokens.get(i).is("PREFIX") && tokens.get(i + 1).kind() == Kind.WORD && tokens.get(i + 1).text().endsWith(":")
                     && tokens.get(i + 2).kind() == Kind.IRI ) {
                    String iri = tokens.get(i + 2).text();
                    prefixes.put(tokens.get(i + 1).text(), iri.substring(1, iri.length() - 1));
                }
            }
        }

        private void register() {
            Token start = next("REGISTER");
            Token op = next("RSTREAM, ISTREAM or DSTREAM");
            try {
                operator = StreamOperator.valueOf(op.text().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException ex) {
                throw error("REGISTER is followed by RSTREAM, ISTREAM or DSTREAM, not '" + op.text() + "'", op);
            }
            if ( op.kind() != Kind.WORD )
                throw error("REGISTER is followed by RSTREAM, ISTREAM or DSTREAM, not '" + op.text() + "'", op);
            Token iri = next("the query's name (an IRI)");
            name = iri(iri, "the query's name after REGISTER " + operator).getURI();
            Token as = next("AS");
            if ( !as.is("AS") )
                throw error("REGISTER " + operator + " <name> is followed by AS, not '" + as.text() + "'", as);
            blank(start, as);
        }

        private void fromNamedWindow() {
            Token start = peek(0);
            pos += 3;
            Token w = next("the window's IRI");
            Node windowIri = iri(w, "the window's name after FROM NAMED WINDOW");
            if ( windows.containsKey(windowIri) )
                throw error("window <" + windowIri.getURI() + "> is declared twice; give each window its own IRI", w);
            Token on = next("ON");
            if ( !on.is("ON") )
                throw error("FROM NAMED WINDOW <w> is followed by ON <stream>, not '" + on.text() + "'", on);
            Token s = next("the stream's IRI");
            Node stream = iri(s, "the stream after ON");
            if ( !stream.equals(RspVocab.ADDED) && !stream.equals(RspVocab.REMOVED) )
                throw error("unknown stream <" + stream.getURI() + ">: the streams are <" + RspVocab.ADDED.getURI() + "> (quads added by each commit) and <"
                            + RspVocab.REMOVED.getURI() + "> (quads removed); add GRAPH <g> after the stream to keep one named graph", s);
            Node graph = null;
            if ( peek(0) != null && peek(0).is("GRAPH") ) {
                pos++;
                graph = iri(next("the graph's IRI"), "the graph after GRAPH");
            }
            Token open = next("[");
            if ( !open.isPunct('[') )
                throw error("the window's shape follows its stream in brackets, e.g. [RANGE PT5M STEP PT1M], [ROWS 1000] or [SESSION GAP PT30S]; found '"
                            + open.text() + "'", open);
            WindowSpec spec = windowShape(windowIri, stream, graph, open);
            Token close = tokens.get(pos - 1);
            windows.put(windowIri, spec);
            blank(start, close);
        }

        private WindowSpec windowShape(Node iri, Node stream, Node graph, Token open) {
            Token kindToken = next("RANGE, ROWS or SESSION");
            WindowSpec.Kind kind;
            Duration range = null;
            Duration step = null;
            Duration gap = null;
            long rows = 0;
            if ( kindToken.is("RANGE") ) {
                kind = WindowSpec.Kind.TIME;
                range = duration(next("a duration such as PT5M"), "RANGE");
                step = range;
                if ( peek(0) != null && peek(0).is("STEP") ) {
                    pos++;
                    step = duration(next("a duration such as PT1M"), "STEP");
                }
            } else if ( kindToken.is("ROWS") ) {
                kind = WindowSpec.Kind.COUNT;
                Token n = next("a number of quad events");
                try {
                    rows = Long.parseLong(n.text());
                } catch (NumberFormatException ex) {
                    rows = -1;
                }
                if ( rows < 1 )
                    throw error("ROWS is followed by a whole number of quad events, at least 1, not '" + n.text() + "'", n);
            } else if ( kindToken.is("SESSION") ) {
                kind = WindowSpec.Kind.SESSION;
                Token g = next("GAP");
                if ( !g.is("GAP") )
                    throw error("SESSION is followed by GAP and a duration, e.g. [SESSION GAP PT30S], not '" + g.text() + "'", g);
                gap = duration(next("a duration such as PT30S"), "GAP");
            } else {
                throw error("a window is [RANGE d STEP s], [ROWS n] or [SESSION GAP d]; '" + kindToken.text() + "' is none of RANGE, ROWS, SESSION", kindToken);
            }
            Node timeProperty = null;
            Duration lateness = Duration.ZERO;
            if ( peek(0) != null && peek(0).is("TIME") ) {
                Token t = next("TIME");
                if ( kind == WindowSpec.Kind.COUNT )
                    throw error("a count window [ROWS n] takes the last n events in commit order and has no event TIME; remove TIME", t);
                timeProperty = iri(next("the event-time property"), "the event-time property after TIME");
                if ( peek(0) != null && peek(0).is("LATENESS") ) {
                    pos++;
                    lateness = durationOrZero(next("a duration such as PT10S"), "LATENESS");
                }
            }
            Token close = next("]");
            if ( !close.isPunct(']') ) {
                String hint = close.is("LATENESS") ? "; LATENESS comes after TIME <property>" : "";
                throw error("unexpected '" + close.text() + "' in the window's brackets" + hint
                            + ": the shapes are [RANGE d (STEP s)? (TIME p (LATENESS l)?)?], [ROWS n], [SESSION GAP d (TIME p (LATENESS l)?)?]", close);
            }
            return new WindowSpec(iri, stream, graph, kind, range, step, rows, gap, timeProperty, lateness);
        }

        private Duration duration(Token t, String clause) {
            Duration d = durationOrZero(t, clause);
            if ( d.isZero() )
                throw error(clause + " must be longer than zero, got " + t.text(), t);
            return d;
        }

        private Duration durationOrZero(Token t, String clause) {
            try {
                Duration d = Duration.parse(t.text());
                if ( d.isNegative() )
                    throw error(clause + " must not be negative, got " + t.text(), t);
                if ( d.toMillis() * 1_000_000 != d.toNanos() )
                    throw error(clause + " is counted in whole milliseconds, got " + t.text(), t);
                return d;
            } catch (DateTimeParseException | ArithmeticException ex) {
                throw error(clause + " takes an ISO 8601 duration such as PT30S, PT5M or PT1H, not '" + t.text() + "'", t);
            }
        }

        private Node iri(Token t, String what) {
            if ( t.kind() == Kind.IRI )
                return NodeFactory.createURI(t.text().substring(1, t.text().length() - 1));
            if ( t.kind() == Kind.WORD && t.text().contains(":") && !t.text().startsWith("?") && !t.text().startsWith("$") ) {
                String pname = t.text().substring(0, t.text().indexOf(':') + 1);
                String ns = prefixes.get(pname);
                if ( ns == null )
                    throw error("unknown prefix '" + pname + "' in " + what + ": declare it with PREFIX " + pname + " <...>", t);
                return NodeFactory.createURI(ns + t.text().substring(pname.length()));
            }
            throw error(what + " must be an IRI (<...> or a prefixed name), not '" + t.text() + "'", t);
        }

        private void windowBlock(Token window) {
            int i = tokens.indexOf(window);
            if ( i > 0 && tokens.get(i - 1).is("NAMED") )
                return;
            Token w = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
            if ( w == null )
                throw error("WINDOW is followed by a window's IRI and a { ... } block", window);
            pos = i + 1;
            Node iri = iri(w, "the window after WINDOW");
            if ( !windows.containsKey(iri) )
                throw error("WINDOW <" + iri.getURI() + "> names no declared window; declare it with FROM NAMED WINDOW <" + iri.getURI() + "> ON <"
                            + RspVocab.ADDED.getURI() + "> [RANGE ...], or use one of " + windows.keySet().stream().map(n -> "<" + n.getURI() + ">").toList(), w);
            Token brace = i + 2 < tokens.size() ? tokens.get(i + 2) : null;
            if ( brace == null || !brace.isPunct('{') )
                throw error("WINDOW <" + iri.getURI() + "> is followed by a { ... } block of patterns", brace == null ? w : brace);
            "GRAPH ".getChars(0, 6, rewritten, window.start());
        }

        private void checkSteps() {
            List<WindowSpec> all = new ArrayList<>(windows.values());
            if ( all.size() < 2 )
                return;
            WindowSpec first = all.get(0);
            for ( WindowSpec w : all ) {
                if ( w.kind() != WindowSpec.Kind.TIME )
                    throw new ContinuousQueryException("window <" + w.iri().getURI() + "> is a " + w.kind() + " window: a query with several windows "
                                                       + "may only have time windows [RANGE d STEP s], which step together; use one query per count or session window");
                if ( !w.step().equals(first.step()) || w.eventTime() != first.eventTime() )
                    throw new ContinuousQueryException("windows <" + first.iri().getURI() + "> and <" + w.iri().getURI() + "> step differently (STEP "
                                                       + first.step() + " vs " + w.step() + ", time " + timeName(first) + " vs " + timeName(w)
                                                       + "): the windows of one query share STEP and TIME so that each step covers all of them");
                if ( w.eventTime() && (!w.timeProperty().equals(first.timeProperty()) || !w.allowedLateness().equals(first.allowedLateness())) )
                    throw new ContinuousQueryException("windows <" + first.iri().getURI() + "> and <" + w.iri().getURI()
                                                       + "> use different event TIME or LATENESS: the windows of one query share one watermark");
            }
        }

        private static String timeName(WindowSpec w) {
            return w.eventTime() ? "<" + w.timeProperty().getURI() + ">" : "commit time";
        }

        private Query sparql() {
            String sparql = new String(rewritten);
            try {
                return QueryFactory.create(sparql, Syntax.syntaxSPARQL_11);
            } catch (QueryParseException ex) {
                String msg = ex.getMessage();
                throw new ContinuousQueryException("SPARQL syntax error: " + msg, ex.getLine(), ex.getColumn());
            }
        }

        private void blank(Token from, Token to) {
            for ( int i = from.start(); i < to.end(); i++ )
                if ( rewritten[i] != '\n' )
                    rewritten[i] = ' ';
        }

        private ContinuousQueryException error(String message, Token at) {
            if ( at == null )
                return new ContinuousQueryException(message);
            return new ContinuousQueryException(message, RspqlTokens.line(text, at.start()), RspqlTokens.column(text, at.start()));
        }
    }
}
