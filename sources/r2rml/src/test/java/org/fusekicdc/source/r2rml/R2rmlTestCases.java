package org.fusekicdc.source.r2rml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;

import org.fusekicdc.core.testing.TestSupport;

/**
 * The W3C R2RML test cases, read in place: the directory the system property
 * {@code r2rml.tests} names, else {@code shared/r2rml-test-cases} in a directory above this one.
 * One folder per case: {@code resource.sql}, {@code mapping.ttl}, and {@code output.nq} unless the
 * mapping must be rejected (an invalid mapping or a data error).
 */
record R2rmlTestCases(Path dir) {

    record Case(String id, Path dir) {
        Path mapping() {
            return dir.resolve("mapping.ttl");
        }

        Path expected() {
            return dir.resolve("output.nq");
        }

        boolean expectsError() {
            return !Files.exists(expected());
        }

        /** Loads {@code resource.sql} into the connection's schema or database. */
        void load(TestDb db, Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                for ( String s : db.statements(Files.readString(dir.resolve("resource.sql"))) )
                    st.execute(s);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }

    /** The suite, or a loud skip (a failure under {@code CI=true}) when it is not there. */
    static R2rmlTestCases find() {
        String prop = System.getProperty("r2rml.tests");
        if ( prop != null && Files.isDirectory(Path.of(prop)) )
            return new R2rmlTestCases(Path.of(prop).toAbsolutePath().normalize());
        for ( Path p = Path.of("").toAbsolutePath() ; p != null ; p = p.getParent() ) {
            Path candidate = p.resolve("shared/r2rml-test-cases");
            if ( Files.isDirectory(candidate) )
                return new R2rmlTestCases(candidate);
        }
        TestSupport.skipOrFail("W3C R2RML test cases not found (system property r2rml.tests=" + prop + ", nor shared/r2rml-test-cases above "
                               + Path.of("").toAbsolutePath() + "): R2RML conformance NOT RUN.");
        return null;
    }

    List<Case> cases() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.exists(p.resolve("mapping.ttl"))).sorted()
                    .map(p -> new Case(p.getFileName().toString(), p)).toList();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
