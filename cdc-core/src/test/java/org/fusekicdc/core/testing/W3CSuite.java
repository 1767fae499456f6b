package org.fusekicdc.core.testing;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.RDFList;
import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.vocabulary.RDF;

/**
 * The W3C SPARQL 1.1 test suite, read in place: {@code shared/w3c-rdf-tests} in a directory
 * above the current one, or the directory the system property {@code fusekicdc.w3cTests} names.
 */
public final class W3CSuite {
    public static final String MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";

    private W3CSuite() {}

    /**
     * The suite's {@code sparql/sparql11} directory. When the suite is not there the calling test
     * is skipped with a loud message, or fails under {@code CI=true}.
     *
     * @param whatIsNotRun names the tests in the message, e.g. "W3C SPARQL Update round trip"
     */
    public static Path sparql11(String whatIsNotRun) {
        Path root = root();
        if ( root == null ) {
            String msg = "W3C RDF test suite not found (system property fusekicdc.w3cTests=" + System.getProperty("fusekicdc.w3cTests")
                         + ", nor shared/w3c-rdf-tests above " + Path.of("").toAbsolutePath() + "): " + whatIsNotRun + " NOT RUN";
            TestSupport.skipOrFail(msg + ".");
        }
        return root.resolve("sparql/sparql11");
    }

    private static Path root() {
        String prop = System.getProperty("fusekicdc.w3cTests");
        if ( prop != null && !prop.isBlank() ) {
            Path p = Path.of(prop).toAbsolutePath().normalize();
            if ( Files.isDirectory(p.resolve("sparql/sparql11")) )
                return p;
        }
        for ( Path p = Path.of("").toAbsolutePath() ; p != null ; p = p.getParent() ) {
            Path candidate = p.resolve("shared/w3c-rdf-tests");
            if ( Files.isDirectory(candidate.resolve("sparql/sparql11")) )
                return candidate;
        }
        return null;
    }

    /** The entries of a manifest file ({@code mf:entries}), in order. */
    public static List<Resource> entries(Path manifestFile) {
        Model m = RDFDataMgr.loadModel(manifestFile.toUri().toString());
        Resource manifest = m.listSubjectsWithProperty(RDF.type, m.createResource(MF + "Manifest")).next();
        return manifest.getRequiredProperty(m.createProperty(MF, "entries")).getObject().as(RDFList.class).asJavaList().stream()
                       .map(RDFNode::asResource).toList();
    }
}
