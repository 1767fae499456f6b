package org.fusekicdc.fuseki.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;

/**
 * One {@code cdc:continuousQuery} of a captured dataset: a named RSP-QL query started with the
 * server, and where its steps go: a named graph of the dataset ({@code cdc:outputGraph}, for
 * CONSTRUCT) and sinks ({@code cdc:sink}, each fed from the query's step log); and, for an
 * event-time query, where the events that came too late for its windows go ({@code cdc:lateGraph}).
 *
 * @param query            the query, parsed at start-up and named {@code name}
 * @param stepLogDirectory where the query's step log and its sinks' state live ({@code <logDirectory>/rsp/<name>})
 * @param outputGraph      the IRI of the graph the steps are written into, or null
 * @param lateGraph        the IRI of the graph late events are written into, or null
 */
public record ContinuousQuerySettings(String name, ContinuousQuery query, String outputGraph, String lateGraph, List<SinkSettings> sinks,
                                      Path stepLogDirectory) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** The options of a {@code cdc:continuousQuery} resource, in documentation order. */
    public static final List<Option<?>> OPTIONS = List.of(CdcOption.CONTINUOUS_QUERY_NAME, CdcOption.CONTINUOUS_QUERY_TEXT,
                                                          CdcOption.OUTPUT_GRAPH, CdcOption.LATE_GRAPH, CdcOption.CONTINUOUS_QUERY_SINK);

    static ContinuousQuerySettings from(RDFNode node, String dataset, Path logDir, String where) {
        if ( !node.isResource() )
            throw new CdcConfigException(VocabCdc.continuousQuery.getLocalName(), where + ": cdc:continuousQuery must be a resource such as"
                                         + " `[ cdc:name \"avg\" ; cdc:query \"\"\"REGISTER RSTREAM ...\"\"\" ]`, not the literal " + node + ".");
        Resource r = node.asResource();
        Set<String> allowed = OPTIONS.stream().map(Option::name).collect(Collectors.toSet());
        for ( Statement st : r.listProperties().toList() ) {
            Property p = st.getPredicate();
            if ( p.getURI().startsWith(VocabCdc.NS) && !allowed.contains(p.getLocalName()) )
                throw new CdcConfigException(p.getLocalName(), where + ", cdc:continuousQuery: unknown option cdc:" + p.getLocalName() + ". Options: "
                                             + OPTIONS.stream().map(Option::prefixedName).collect(Collectors.joining(", ")) + " (see docs/configuration.md).");
        }
        String name = literal(r, VocabCdc.name, where);
        if ( name == null || !NAME.matcher(name).matches() )
            throw new CdcConfigException(VocabCdc.name.getLocalName(), where + ", cdc:continuousQuery: cdc:name is required and must be 1-64 letters, digits,"
                                         + " '_' or '-' (it names the query's step log directory and its HTTP stream), got " + (name == null ? "none" : "\"" + name + "\"") + ".");
        String what = where + ", cdc:continuousQuery \"" + name + "\"";
        String text = literal(r, VocabCdc.query, what);
        if ( text == null )
            throw new CdcConfigException(VocabCdc.query.getLocalName(), what + ": cdc:query is required: the RSP-QL query, for example"
                                         + " `cdc:query \"\"\"REGISTER RSTREAM <urn:out> AS SELECT ... FROM NAMED WINDOW ...\"\"\"`.");
        ContinuousQuery query;
        try {
            query = ContinuousQuery.parse(text).withName(name);
        } catch (ContinuousQueryException ex) {
            throw new CdcConfigException(VocabCdc.query.getLocalName(), what + ": cdc:query is not a continuous query: " + ex.getMessage() + ".");
        }
        RDFNode graph = r.getProperty(VocabCdc.outputGraph) == null ? null : r.getProperty(VocabCdc.outputGraph).getObject();
        if ( graph != null && !graph.isURIResource() )
            throw new CdcConfigException(VocabCdc.outputGraph.getLocalName(), what + ": cdc:outputGraph must be an IRI such as <urn:view:avg>, got " + graph + ".");
        if ( graph != null && query.form() != ContinuousQuery.Form.CONSTRUCT )
            throw new CdcConfigException(VocabCdc.outputGraph.getLocalName(), what + ": cdc:outputGraph takes the triples of a CONSTRUCT query, but this query is "
                                         + query.form() + "; make it a CONSTRUCT, or remove cdc:outputGraph and give the query a cdc:sink.");
        if ( graph == null && r.getProperty(VocabCdc.sink) == null )
            throw new CdcConfigException(VocabCdc.sink.getLocalName(), what + ": the query has no output: give it a cdc:sink, or cdc:outputGraph for a CONSTRUCT."
                                         + " (A client that wants the steps itself sends the query to the live endpoint instead.)");
        String late = lateGraph(r, query, graph == null ? null : graph.asResource().getURI(), what);
        Path stepLog = logDir.resolve("rsp").resolve(name);
        List<SinkSettings> sinks = new ArrayList<>();
        for ( Statement st : r.listProperties(VocabCdc.sink).toList() )
            sinks.add(SinkSettings.from(st.getObject(), dataset + "." + name, stepLog, what, true));
        if ( sinks.stream().map(SinkSettings::name).distinct().count() != sinks.size() )
            throw new CdcConfigException(VocabCdc.name.getLocalName(), what + ": two sinks have the same cdc:name; give each sink its own name.");
        return new ContinuousQuerySettings(name, query, graph == null ? null : graph.asResource().getURI(), late, List.copyOf(sinks), stepLog);
    }

    /** {@code cdc:lateGraph}: an IRI, on an event-time query only (no other query has late events), not its view graph. */
    private static String lateGraph(Resource r, ContinuousQuery query, String outputGraph, String what) {
        Statement st = r.getProperty(VocabCdc.lateGraph);
        if ( st == null )
            return null;
        String key = VocabCdc.lateGraph.getLocalName();
        if ( !st.getObject().isURIResource() )
            throw new CdcConfigException(key, what + ": cdc:lateGraph must be an IRI such as <urn:late:avg>, got " + st.getObject() + ".");
        if ( !query.windows().get(0).eventTime() )
            throw new CdcConfigException(key, what + ": cdc:lateGraph takes the events that come too late for an event-time window, but this query's"
                                         + " windows are on commit time, where no event is late; give its window `TIME <property> LATENESS <duration>`,"
                                         + " or remove cdc:lateGraph.");
        String iri = st.getObject().asResource().getURI();
        if ( iri.equals(outputGraph) )
            throw new CdcConfigException(key, what + ": cdc:lateGraph and cdc:outputGraph are both <" + iri + ">, but each step of the view replaces"
                                         + " or edits that graph; give the late events a graph of their own.");
        return iri;
    }

    private static String literal(Resource r, Property p, String where) {
        Statement st = r.getProperty(p);
        if ( st == null )
            return null;
        if ( !st.getObject().isLiteral() || st.getString().isBlank() )
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " must be a non-empty string, got " + st.getObject() + ".");
        return st.getString();
    }
}
