using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FuzzFarm.Host.Web;

/// <summary>The built-in web dashboard's routes (pages and their JSON).</summary>
public static class DashboardEndpoints
{
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", () => Results.Text("FuzzFarm silo: /metrics, /healthz\n"));
    }
}
