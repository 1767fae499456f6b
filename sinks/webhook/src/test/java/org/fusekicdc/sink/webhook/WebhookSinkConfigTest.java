package org.fusekicdc.sink.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.OptionValues;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every webhook option is checked at start-up, with a message naming the option, the value and the fix; the secret never shows. */
class WebhookSinkConfigTest {
    private static WebhookSinkConfig config(String... kv) {
        Map<String, String> m = new HashMap<>(Map.of("url", "https://a.example/hook", "secretEnv", "HOOK_SECRET"));
        for ( int i = 0 ; i < kv.length ; i += 2 )
            m.put(kv[i], kv[i + 1]);
        return WebhookSinkConfig.from("ds", new OptionValues("hook", m), Map.of("HOOK_SECRET", "hush-hush")::get);
    }

    @Test
    void urlsFiltersAndDefaults() {
        WebhookSinkConfig c = config("url", "https://a.example/hook, http://b.example:8080/x", "graphs", "default <http://example/g>",
                                     "predicates", "http://example/p");
        assertEquals(2, c.endpoints().size());
        assertEquals(Set.of(Quad.defaultGraphIRI, NodeFactory.createURI("http://example/g")), c.graphs());
        assertEquals(Set.of(NodeFactory.createURI("http://example/p")), c.predicates());
        assertEquals(1, c.batchMaxPatches());
        assertFalse(c.sendEmptyPatches());
        assertTrue(c.describe().contains("secret from $HOOK_SECRET") && !c.describe().contains("hush-hush"), c.describe());
        assertFalse(config().filters());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', value = {
        "url; ftp://a.example/hook; the scheme http:// or https://",
        "url; https://user:pw@a.example/hook; must not hold credentials",
        "url; https://a.example/h https://a.example/h; twice",
        "url; ''; is required",
        "secretEnv; NOT_SET_HERE; names an environment variable that is not set",
        "secretEnv; hush-hush; must be the name of an environment variable",
        "graphs; g1; not an absolute IRI",
        "predicates; ','; is empty",
        "batchMaxPatches; 0; must be from 1",
        "backoffMaxMillis; 10; is smaller than cdc:backoffInitialMillis",
        "maxRequestsPerSecond; fast; must be a number",
        "maxRequestsPerSecond; -1; must be from 0",
        "maxAttempts; 0; must be from 1"})
    void aBadOptionStopsStartUpNamingItAndTheFix(String option, String value, String expected) {
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> config(option, value));
        assertTrue(ex.getMessage().contains("cdc:" + option), ex.getMessage());
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
        if ( !option.equals("secretEnv") || !value.equals("hush-hush") )
            assertFalse(ex.getMessage().contains("hush-hush"), ex.getMessage());
    }
}
