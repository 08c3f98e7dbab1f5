namespace FuzzFarm.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Smoke() => Assert.Equal(2, 1 + 1);
}
