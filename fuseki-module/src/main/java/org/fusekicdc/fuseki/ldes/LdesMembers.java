package org.fusekicdc.fuseki.ldes;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.fuseki.access.PatchFilter;
import org.fusekicdc.fuseki.access.ReaderView;

/**
 * One logged patch as a member of the stream: {@code <urn:uuid:id>} a {@code cdc:Patch}, a version
 * of the dataset ({@code dct:isVersionOf}) committed at {@code prov:generatedAtTime}, with
 * {@code cdc:version}, {@code cdc:epoch}, {@code cdc:previous}, and each change as a blank node:
 * {@code cdc:add}/{@code cdc:delete [ cdc:graph g ; rdf:subject s ; rdf:predicate p ; rdf:object o ]}
 * ({@code cdc:graph} absent for the default graph), prefix changes as
 * {@code cdc:addPrefix}/{@code cdc:deletePrefix [ cdc:prefix "p" ; cdc:namespace "ns" ]}.
 * Blank nodes of the data become skolem IRIs under {@code /.well-known/genid/}, so that the
 * same blank node is the same term in every member (a blank node in a member would be that
 * member's own).
 */
final class LdesMembers {
    private final Node collection;
    private final Node dataset;
    private final Node epoch;
    private final String genid;
    private final ReaderView view;

    /**
     * @param collection the stream's IRI
     * @param dataset    the dataset's IRI, which every member is a version of
     * @param genid      the base of skolem IRIs, ending with {@code /}
     */
    LdesMembers(String collection, String dataset, long epoch, String genid, ReaderView view) {
        this.collection = NodeFactory.createURI(collection);
        this.dataset = NodeFactory.createURI(dataset);
        this.epoch = NodeFactory.createLiteralDT(Long.toString(epoch), XSDDatatype.XSDinteger);
        this.genid = genid;
        this.view = view;
    }

    /** The member's IRI: the patch's id. */
    static Node memberIri(UUID id) {
        return NodeFactory.createURI("urn:uuid:" + id);
    }

    /** The triples of the record's member, as this reader may see it (changes filtered, headers kept). */
    List<Triple> member(LogRecord record) throws IOException {
        RecordMeta meta = record.meta();
        Node m = memberIri(meta.id());
        List<Triple> out = new ArrayList<>();
        out.add(Triple.create(collection, LdesVocab.member, m));
        out.add(Triple.create(m, LdesVocab.type, LdesVocab.Patch));
        out.add(Triple.create(m, LdesVocab.isVersionOf, dataset));
        out.add(Triple.create(m, LdesVocab.generatedAtTime, NodeFactory.createLiteralDT(meta.commitTime().toString(), XSDDatatype.XSDdateTime)));
        out.add(Triple.create(m, LdesVocab.version, NodeFactory.createLiteralDT(Long.toString(meta.version()), XSDDatatype.XSDinteger)));
        out.add(Triple.create(m, LdesVocab.epoch, epoch));
        if ( meta.prevId() != null )
            out.add(Triple.create(m, LdesVocab.previous, memberIri(meta.prevId())));
        try (InputStream in = record.openPayload()) {
            new RDFPatchReaderText(in).apply(PatchFilter.filter(new RDFChangesBase() {
                @Override
                public void add(Node g, Node s, Node p, Node o) {
                    change(LdesVocab.add, g, s, p, o);
                }

                @Override
                public void delete(Node g, Node s, Node p, Node o) {
                    change(LdesVocab.delete, g, s, p, o);
                }

                @Override
                public void addPrefix(Node gn, String prefix, String uriStr) {
                    prefixChange(LdesVocab.addPrefix, gn, prefix, uriStr);
                }

                @Override
                public void deletePrefix(Node gn, String prefix) {
                    prefixChange(LdesVocab.deletePrefix, gn, prefix, null);
                }

                private void change(Node kind, Node g, Node s, Node p, Node o) {
                    Node c = NodeFactory.createBlankNode();
                    out.add(Triple.create(m, kind, c));
                    if ( g != null && !Quad.isDefaultGraph(g) )
                        out.add(Triple.create(c, LdesVocab.graph, skolem(g)));
                    out.add(Triple.create(c, LdesVocab.rdfSubject, skolem(s)));
                    out.add(Triple.create(c, LdesVocab.rdfPredicate, p));
                    out.add(Triple.create(c, LdesVocab.rdfObject, skolem(o)));
                }

                private void prefixChange(Node kind, Node g, String prefix, String ns) {
                    Node c = NodeFactory.createBlankNode();
                    out.add(Triple.create(m, kind, c));
                    if ( g != null && !Quad.isDefaultGraph(g) )
                        out.add(Triple.create(c, LdesVocab.graph, skolem(g)));
                    out.add(Triple.create(c, LdesVocab.prefix, NodeFactory.createLiteralString(prefix)));
                    if ( ns != null )
                        out.add(Triple.create(c, LdesVocab.namespace, NodeFactory.createLiteralString(ns)));
                }
            }, view));
        }
        return out;
    }

    private Node skolem(Node n) {
        if ( !n.isBlank() )
            return n;
        return NodeFactory.createURI(genid + URLEncoder.encode(n.getBlankNodeLabel(), StandardCharsets.UTF_8));
    }
}
