import java.io.File;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;

import org.apache.velocity.Template;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.runtime.RuntimeInstance;

/**
 * Times Apache Velocity 1.7 rendering an API Gateway mapping template.
 *
 * <pre>
 *   VelocityBench TEMPLATE_FILE ITERATIONS [REQUEST_JSON] [WARMUP_SECONDS]
 * </pre>
 *
 * REQUEST_JSON defaults to request.json next to the template (tools/bench/request.json
 * describes its fields); WARMUP_SECONDS defaults to 3. The template is parsed once
 * (into a Template, the engine set up as VelocityRender sets it up); the JVM is warmed
 * up by rendering for WARMUP_SECONDS; then ITERATIONS renders are timed, each with a
 * new VelocityContext holding $input, $util and $context. Prints one JSON line to
 * stdout: {"engine":"velocity-1.7","iterations":N,"ns_per_render":X,"output_bytes":B}
 * and the rendered output once, exactly (nothing added), to stderr.
 */
public final class VelocityBench {

    private VelocityBench() {}

    /** Stands in for API Gateway's $input. */
    public static final class Input {
        private final String body;
        private final Map<String, Object> params;

        public Input(String body, Map<String, Object> params) {
            this.body = body;
            this.params = params;
        }

        /** $input.json(path): only "$" (the whole body, as sent) is supported. */
        public String json(String path) {
            if ("$".equals(path)) {
                return body;
            }
            throw new UnsupportedOperationException("bench $input.json only supports '$', got " + path);
        }

        /** $input.body */
        public String getBody() {
            return body;
        }

        /** $input.params(): {"header": {...}, "querystring": {...}, "path": {...}} */
        public Map<String, Object> params() {
            return params;
        }

        /** $input.params(name): path, then querystring, then header; null if absent. */
        @SuppressWarnings("unchecked")
        public Object params(String name) {
            for (String kind : new String[] {"path", "querystring", "header"}) {
                Map<String, Object> m = (Map<String, Object>) params.get(kind);
                if (m != null && m.containsKey(name)) {
                    return m.get(name);
                }
            }
            return null;
        }
    }

    /** Stands in for API Gateway's $util. */
    public static final class Util {
        /** commons-lang 2.6 StringEscapeUtils.escapeJavaScript, as API Gateway documents. */
        public String escapeJavaScript(String s) {
            return org.apache.commons.lang.StringEscapeUtils.escapeJavaScript(s);
        }
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 4) {
            System.err.println("usage: VelocityBench TEMPLATE_FILE ITERATIONS [REQUEST_JSON] [WARMUP_SECONDS]");
            System.exit(2);
        }
        File tf = new File(args[0]).getAbsoluteFile();
        int iterations = Integer.parseInt(args[1]);
        File rf = args.length > 2 ? new File(args[2]) : new File(tf.getParentFile(), "request.json");
        double warmupSeconds = args.length > 3 ? Double.parseDouble(args[3]) : 3.0;

        String text = new String(Files.readAllBytes(tf.toPath()), StandardCharsets.UTF_8);
        Map<String, Object> req = (Map<String, Object>) Json.parse(
                new String(Files.readAllBytes(rf.toPath()), StandardCharsets.UTF_8));

        final Input input = new Input((String) req.get("body"),
                Collections.unmodifiableMap((Map<String, Object>) req.get("params")));
        final Util util = new Util();
        final Map<String, Object> context = (Map<String, Object>) req.get("context");

        RuntimeInstance ri = VelocityRender.newEngine(new VelocityRender.Options(), tf.getParent(), null);
        Template template = VelocityRender.compile(ri, text, tf.getName());

        // One render to check and measure.
        String first = renderOnce(template, input, util, context);
        int outputBytes = first.getBytes(StandardCharsets.UTF_8).length;

        // Warm up.
        long sink = 0;
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        while (System.nanoTime() < warmEnd) {
            for (int i = 0; i < 100; i++) {
                sink += renderOnce(template, input, util, context).length();
            }
        }

        // Timed run.
        long t0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            sink += renderOnce(template, input, util, context).length();
        }
        long elapsed = System.nanoTime() - t0;

        if (sink == 42) {
            System.err.println(); // keeps the renders observable
        }
        System.err.print(first);
        System.err.flush();
        System.out.println(String.format(Locale.ROOT,
                "{\"engine\":\"velocity-1.7\",\"iterations\":%d,\"ns_per_render\":%.1f,\"output_bytes\":%d}",
                iterations, (double) elapsed / iterations, outputBytes));
    }

    private static String renderOnce(Template template, Input input, Util util, Map<String, Object> context) {
        VelocityContext ctx = new VelocityContext();
        ctx.put("input", input);
        ctx.put("util", util);
        ctx.put("context", context);
        StringWriter w = new StringWriter(2048);
        template.merge(ctx, w);
        return w.toString();
    }
}
