package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

import org.apache.jena.fuseki.auth.Auth;
import org.apache.jena.atlas.web.AuthScheme;
import org.apache.jena.rdfpatch.RDFPatch;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With Fuseki's own authentication on, each patch names the user whose request wrote it. */
class AuthenticatedUserIT {
    @TempDir
    Path work;

    @Test
    void patchesCarryTheAuthenticatedUser() throws Exception {
        Path passwd = CdcFuseki.passwordFile("alice: alice-pw\nbob: bob-pw\n");
        try (CdcFuseki f = CdcFuseki.start(work, CdcFuseki.exampleConfig("quickstart.ttl", work),
                                           b -> b.passwordFile(passwd.toString()).auth(AuthScheme.BASIC).serverAuthPolicy(Auth.ANY_USER))) {
            assertEquals(401, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 0 }").statusCode());
            update(f, "alice", "alice-pw", 1);
            update(f, "bob", "bob-pw", 2);
            ChangeLog log = f.dataset("ds").changeLog();
            assertEquals(2, log.publishedVersion(), "the refused request logged nothing");
            assertEquals("alice", user(log, 1));
            assertEquals("bob", user(log, 2));
        }
    }

    private static void update(CdcFuseki f, String user, String password, int value) {
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/update")))
                                                   .header("Authorization", "Basic " + auth)
                                                   .header("Content-Type", "application/sparql-update")
                                                   .POST(HttpRequest.BodyPublishers.ofString(
                                                       "INSERT DATA { <http://example/s> <http://example/p> " + value + " }")));
        assertEquals(204, r.statusCode(), r.body());
    }

    private static String user(ChangeLog log, long version) {
        RDFPatch p = LogReplay.patch(log.read(version));
        return p.getHeader(PatchHeaders.USER).getLiteralLexicalForm();
    }
}
