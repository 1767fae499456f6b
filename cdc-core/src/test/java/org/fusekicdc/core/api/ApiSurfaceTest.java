package org.fusekicdc.core.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.fusekicdc.core.CdcException;
import org.junit.jupiter.api.Test;

/**
 * The extension API is the public types of a few packages (docs/extending.md): a sink, source
 * or topic-reader author needs nothing else. Adding or removing a public type there changes what
 * authors may rely on, so it must be deliberate: this test then fails until the list below, and
 * the guide, say so.
 */
class ApiSurfaceTest {
    static final List<String> API_PACKAGES = List.of("org.fusekicdc.core", "org.fusekicdc.core.config", "org.fusekicdc.core.sink",
                                                     "org.fusekicdc.core.source", "org.fusekicdc.core.topic", "org.fusekicdc.core.wire");

    static final List<String> API_TYPES = List.of(
        "org.fusekicdc.core.CdcConfigException",
        "org.fusekicdc.core.CdcException",
        "org.fusekicdc.core.config.DeclaredComponentProvider",
        "org.fusekicdc.core.config.DeclaredComponentProvider$Factory",
        "org.fusekicdc.core.config.DeclaredProvider",
        "org.fusekicdc.core.config.Option",
        "org.fusekicdc.core.config.Option$OneOf",
        "org.fusekicdc.core.config.Option$Range",
        "org.fusekicdc.core.config.Option$Validator",
        "org.fusekicdc.core.config.OptionValues",
        "org.fusekicdc.core.sink.DeclaredSinkProvider",
        "org.fusekicdc.core.sink.Sink",
        "org.fusekicdc.core.sink.Sink$Delivery",
        "org.fusekicdc.core.sink.Sink$PatchIds",
        "org.fusekicdc.core.sink.SinkConfig",
        "org.fusekicdc.core.sink.SinkConfig$LagPolicy",
        "org.fusekicdc.core.sink.SinkConfig$Acknowledge",
        "org.fusekicdc.core.sink.SinkException",
        "org.fusekicdc.core.sink.SinkProvider",
        "org.fusekicdc.core.sink.SinkState",
        "org.fusekicdc.core.sink.SinkStatus",
        "org.fusekicdc.core.source.DeclaredSourceProvider",
        "org.fusekicdc.core.source.DeclaredSourceProvider$Factory",
        "org.fusekicdc.core.source.Source",
        "org.fusekicdc.core.source.SourceContext",
        "org.fusekicdc.core.source.SourceException",
        "org.fusekicdc.core.source.SourceProvider",
        "org.fusekicdc.core.source.SourceStatus",
        "org.fusekicdc.core.source.SourceStatus$State",
        "org.fusekicdc.core.topic.DeclaredTopicReaderProvider",
        "org.fusekicdc.core.topic.TopicReader",
        "org.fusekicdc.core.topic.TopicReader$ForeignMessage",
        "org.fusekicdc.core.topic.TopicReader$Incoming",
        "org.fusekicdc.core.topic.TopicReader$PatchMessage",
        "org.fusekicdc.core.topic.TopicReaderProvider",
        "org.fusekicdc.core.wire.CloudEvents",
        "org.fusekicdc.core.wire.CloudEvents$Binding",
        "org.fusekicdc.core.wire.FormatOptions",
        "org.fusekicdc.core.wire.MessageFormat",
        "org.fusekicdc.core.wire.MessageFormats",
        "org.fusekicdc.core.wire.PatchHeaders",
        "org.fusekicdc.core.wire.PatchMessages",
        "org.fusekicdc.core.wire.PatchMessages$PartConsumer",
        "org.fusekicdc.core.wire.PatchReassembler",
        "org.fusekicdc.core.wire.PatchReassembler$Patch",
        "org.fusekicdc.core.wire.PatchRecord",
        "org.fusekicdc.core.wire.StepMessages");

    @Test
    void theApiPackagesHoldExactlyTheListedPublicTypes() throws Exception {
        TreeSet<String> found = publicTypes();
        TreeSet<String> added = new TreeSet<>(found);
        added.removeAll(API_TYPES);
        TreeSet<String> removed = new TreeSet<>(API_TYPES);
        removed.removeAll(found);
        assertTrue(added.isEmpty() && removed.isEmpty(),
                   "The public types of the API packages changed: added " + added + ", removed " + removed + ". If that is meant,"
                   + " update API_TYPES here and docs/extending.md; if not, make the type package-private or move it to an ...internal package.");
    }

    @Test
    void everyOtherPackageIsInternal() throws Exception {
        Path root = classesRoot();
        TreeSet<String> stray = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(f -> f.toString().endsWith(".class")).map(f -> root.relativize(f.getParent()).toString().replace('/', '.'))
                 .filter(pkg -> pkg.startsWith("org.fusekicdc.core") && !API_PACKAGES.contains(pkg) && !pkg.contains(".internal"))
                 .forEach(stray::add);
        }
        assertTrue(stray.isEmpty(), "Packages of cdc-core that are neither API (docs/extending.md) nor ...internal: " + stray
                                    + ". Name the package ...internal, or make it API: list it in API_PACKAGES and the guide.");
    }

    @Test
    void theGuideNamesEveryApiPackage() throws IOException {
        String guide = Files.readString(Path.of("..", "docs", "extending.md"));
        for ( String p : API_PACKAGES )
            assertTrue(guide.contains("`" + p + "`"), "docs/extending.md does not name API package " + p);
    }

    /** cdc-core's compiled main classes: a directory when run in the build. */
    private static Path classesRoot() throws URISyntaxException {
        Path location = Path.of(CdcException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(location), "cdc-core's classes are not a directory: " + location);
        return location;
    }

    /** Public top-level types of the API packages, and their public member types, from the compiled classes. */
    private static TreeSet<String> publicTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path location = Path.of(CdcException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        TreeSet<String> names = new TreeSet<>();
        try (FileSystem jar = Files.isDirectory(location) ? null : FileSystems.newFileSystem(location, Map.of())) {
            Path root = jar == null ? location : jar.getPath("/");
            for ( String p : API_PACKAGES ) {
                Path dir = root.resolve(p.replace('.', '/'));
                try (Stream<Path> files = Files.list(dir)) {
                    for ( Path f : files.filter(f -> f.toString().endsWith(".class")).toList() ) {
                        String file = f.getFileName().toString();
                        Class<?> c = Class.forName(p + "." + file.substring(0, file.length() - ".class".length()), false,
                                                   ApiSurfaceTest.class.getClassLoader());
                        if ( isPublic(c) )
                            names.add(c.getName());
                    }
                }
            }
        }
        assertEquals(false, names.isEmpty(), "no classes found under " + location);
        return names;
    }

    private static boolean isPublic(Class<?> c) {
        if ( c.isAnonymousClass() || c.isLocalClass() || c.isSynthetic() )
            return false;
        for ( Class<?> k = c ; k != null ; k = k.getDeclaringClass() ) {
            if ( !Modifier.isPublic(k.getModifiers()) )
                return false;
        }
        return true;
    }
}
