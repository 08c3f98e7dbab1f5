using FuzzFarm.Host;
using FuzzFarm.Tests.Cli;
using FuzzFarm.Tests.Farm;
using FuzzFarm.Variants;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Tests.Web;

/// <summary>
/// The dashboard's check page on a real silo (Kestrel on 127.0.0.1): a pasted text or patch is compiled and
/// answered with its verdict rows; bad text is one encoded error; size, method and origin limits hold.
/// </summary>
public sealed class CheckPageTests() : CliTestBase("checkpage")
{
    private IHost Silo()
    {
        var ports = ProcessHarness.FreePorts(2);
        return FuzzFarmSilo.Build(new FuzzFarmHostOptions
        {
            Http = "127.0.0.1:0", DataDirectory = Dir, SiloPort = ports[0], GatewayPort = ports[1], ClusterId = $"check-{Guid.NewGuid():N}"[..16],
        });
    }

    private static FormUrlEncodedContent Form(string text, string baseId) => new([new("text", text), new("base", baseId)]);

    [Fact]
    public async Task PastedPatchAndTexts_AreAnsweredWithTheirRows_BadInputIsOneEncodedLine()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo = Silo();
        await silo.StartAsync(ct);
        using var http = new HttpClient { BaseAddress = FuzzFarmSilo.HttpAddress(silo), Timeout = TimeSpan.FromSeconds(120) };

        var form = await http.GetStringAsync(new Uri("/check", UriKind.Relative), ct);
        Assert.Contains("<form method=\"post\" action=\"/check\" id=\"check-form\">", form, StringComparison.Ordinal);
        Assert.Contains("<option value=\"realm-v2\" selected>", form, StringComparison.Ordinal);

        // The trylock patch on D: Z8's check-then-act row shows on yours, and nothing D lacks.
        var patch = await File.ReadAllTextAsync(Path.Combine(Corpus.RepoRoot, "tests", "corpus", "patches", "realm-v2-add-trylock.patch"), ct);
        using (var response = await http.PostAsync(new Uri("/check", UriKind.Relative), Form(patch, "realm-v2"), ct))
        {
            var page = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.IsSuccessStatusCode, page);
            Assert.Contains("<table id=\"check-rows\">", page, StringComparison.Ordinal);
            Assert.Contains("No hazard your version has that realm-v2 lacks.", page, StringComparison.Ordinal);
            Assert.Contains("tlb-conflict--f789d5ac", page, StringComparison.Ordinal);
            Assert.Contains("<td>Z8</td>", page, StringComparison.Ordinal);
        }

        // D without its page-allocator check: splits allocate before the page allocator exists, a hazard D lacks.
        var noAllocCheck = FuzzFarm.KernelC.VersionSource.Shipped(VariantCatalog.Get("realm-v2"))
            .Replace("\t\tif (WARN_ON_ONCE(!page_alloc_available))\n\t\t\treturn -EBUSY;\n", "", StringComparison.Ordinal);
        Assert.DoesNotContain("!page_alloc_available", noAllocCheck, StringComparison.Ordinal);
        using (var response = await http.PostAsync(new Uri("/check", UriKind.Relative), Form(noAllocCheck, "realm-v2"), ct))
        {
            var page = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.IsSuccessStatusCode, page);
            Assert.Contains("Hazard(s) realm-v2 lacks: <code>alloc-before-page-allocator--", page, StringComparison.Ordinal);
        }

        // A name the model does not bind, in a text with markup: one line, encoded, the text kept in the form.
        const string bad = "int split_kernel_leaf_mapping(unsigned long start, unsigned long end)\n{\n\treturn num_onlin_cpus(); /* <script>alert(1)</script> */\n}\n";
        using (var response = await http.PostAsync(new Uri("/check", UriKind.Relative), Form(bad, "realm-v2"), ct))
        {
            var page = await response.Content.ReadAsStringAsync(ct);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("<p class=\"error\" id=\"check-error\">pasted:3:9: unknown name &#39;num_onlin_cpus&#39;", page, StringComparison.Ordinal);
            Assert.DoesNotContain("<script>alert(1)</script>", page, StringComparison.Ordinal);
            Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page, StringComparison.Ordinal);
        }

        // Limits: the size, another origin, an unknown base.
        using (var response = await http.PostAsync(new Uri("/check", UriKind.Relative), Form(new string('x', 300 * 1024), "realm-v2"), ct))
            Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/check", UriKind.Relative)) { Content = Form(patch, "realm-v2") })
        {
            request.Headers.Add("Origin", "http://evil.example");
            using var response = await http.SendAsync(request, ct);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
        }

        using (var response = await http.PostAsync(new Uri("/check", UriKind.Relative), Form(patch, "<b>x</b>"), ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("Unknown base version &#39;&lt;b&gt;x&lt;/b&gt;&#39;.", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        await silo.StopAsync(ct);
    }
}
