package org.fusekicdc.fuseki.ldes;

import java.util.Map;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.fuseki.config.VocabCdc;

/** The terms of the Linked Data Event Stream: TREE, LDES, and the {@code cdc:} terms of a member (one patch). */
final class LdesVocab {
    private LdesVocab() {}

    static final String TREE = "https://w3id.org/tree#";
    static final String LDES = "https://w3id.org/ldes#";
    static final String PROV = "http://www.w3.org/ns/prov#";
    static final String DCT = "http://purl.org/dc/terms/";
    static final String XSD = "http://www.w3.org/2001/XMLSchema#";
    static final String CDC = VocabCdc.NS;

    /** Prefixes of the Turtle form. */
    static final Map<String, String> PREFIXES = Map.of("tree", TREE, "ldes", LDES, "prov", PROV, "dct", DCT, "xsd", XSD,
                                                        "rdf", RDF.getURI(), "cdc", CDC);

    static final Node type = RDF.Nodes.type;
    static final Node rdfSubject = RDF.Nodes.subject;
    static final Node rdfPredicate = RDF.Nodes.predicate;
    static final Node rdfObject = RDF.Nodes.object;

    static final Node EventStream = iri(LDES, "EventStream");
    static final Node timestampPath = iri(LDES, "timestampPath");
    static final Node versionOfPath = iri(LDES, "versionOfPath");
    static final Node retentionPolicy = iri(LDES, "retentionPolicy");
    static final Node LatestVersionSubset = iri(LDES, "LatestVersionSubset");
    static final Node DurationAgoPolicy = iri(LDES, "DurationAgoPolicy");
    static final Node amount = iri(LDES, "amount");

    static final Node Node = iri(TREE, "Node");
    static final Node Relation = iri(TREE, "Relation");
    static final Node ViewDescription = iri(TREE, "ViewDescription");
    static final Node view = iri(TREE, "view");
    static final Node viewDescription = iri(TREE, "viewDescription");
    static final Node relation = iri(TREE, "relation");
    static final Node node = iri(TREE, "node");
    static final Node member = iri(TREE, "member");
    static final Node value = iri(TREE, "value");

    static final Node generatedAtTime = iri(PROV, "generatedAtTime");
    static final Node isVersionOf = iri(DCT, "isVersionOf");
    static final Node isPartOf = iri(DCT, "isPartOf");

    /** A member: the changes of one version of the dataset. */
    static final Node Patch = iri(CDC, "Patch");
    static final Node version = iri(CDC, "version");
    static final Node epoch = iri(CDC, "epoch");
    static final Node previous = iri(CDC, "previous");
    static final Node add = iri(CDC, "add");
    static final Node delete = iri(CDC, "delete");
    static final Node graph = iri(CDC, "graph");
    static final Node addPrefix = iri(CDC, "addPrefix");
    static final Node deletePrefix = iri(CDC, "deletePrefix");
    static final Node prefix = iri(CDC, "prefix");
    static final Node namespace = iri(CDC, "namespace");
    /** The retention policy the log's byte limit adds; LDES has no policy by size. */
    static final Node LogSizePolicy = iri(CDC, "LogSizePolicy");
    static final Node maxBytes = iri(CDC, "maxBytes");

    private static Node iri(String ns, String local) {
        return NodeFactory.createURI(ns + local);
    }
}
