namespace FuzzFarm.Host.Web;

/// <summary>The dashboard's one stylesheet, inline in every page (the silo serves no files and loads no CDN).</summary>
internal static class DashboardStyle
{
    public const string Css = """
        :root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #ffffff; --accent: #0969da;
                --red: #cf222e; --green: #1a7f37; --amber: #9a6700; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
               color: var(--fg); background: var(--bg); }
        .wrap { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
        header.top { background: #24292f; color: #fff; }
        header.top .wrap { display: flex; align-items: center; gap: 16px; height: 52px; }
        header.top .brand { color: #fff; font-weight: 700; font-size: 17px; text-decoration: none; letter-spacing: .2px; }
        header.top .tagline { color: #9198a1; font-size: 13px; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
        header.top nav { margin-left: auto; display: flex; gap: 18px; }
        header.top nav a { color: #d1d9e0; text-decoration: none; }
        header.top nav a:hover { color: #fff; }
        main.wrap { padding-top: 20px; padding-bottom: 40px; }
        h1 { font-size: 22px; margin: 6px 0 4px; line-height: 1.3; }
        h2 { font-size: 16px; margin: 0 0 12px; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin-bottom: 18px; }
        .card > h2 { display: flex; align-items: baseline; gap: 10px; }
        .card > h2 .aside { margin-left: auto; font-weight: 400; font-size: 13px; color: var(--muted); }
        .muted { color: var(--muted); }
        .stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-bottom: 18px; }
        .stat { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
        .stat .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
        .stat .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
        .stat .unit { font-size: 13px; color: var(--muted); font-weight: 400; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .3px; white-space: nowrap; }
        tbody tr:hover { background: #f6f8fa; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .plots { display: flex; flex-wrap: wrap; gap: 12px; }
        svg.plot { background: #fff; border: 1px solid var(--line); border-radius: 6px; }
        svg.spark { vertical-align: middle; }
        table.guards td:first-child { white-space: nowrap; }
        td.cell { white-space: nowrap; font-variant-numeric: tabular-nums; text-align: center; font-size: 13px; }
        td.cell.shown { background: #fff1e5; color: #953800; font-weight: 600; }
        td.cell.shown.strict { background: #ffebe9; color: #cf222e; }
        td.cell.absent { color: var(--muted); }
        tr.group th { background: #f6f8fa; text-transform: none; }
        .filters { margin: 0 0 10px; display: flex; gap: 16px; font-size: 13px; color: var(--muted); }
        td.time { white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted); }
        .badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; line-height: 20px; font-weight: 500;
                 background: #eff2f5; color: var(--fg); border: 1px solid var(--line); white-space: nowrap; }
        .state-running { background: #dafbe1; color: var(--green); border-color: #aceebb; }
        .state-finished { background: #eff2f5; color: var(--muted); }
        .state-stopped { background: #fff8c5; color: var(--amber); border-color: #eed888; }
        .kind-bug { background: #ffebe9; color: var(--red); border-color: #ffcecb; }
        .kind-warning { background: #fff8c5; color: var(--amber); border-color: #eed888; }
        .yes { color: var(--red); font-weight: 600; }
        .no { color: var(--muted); }
        .tag { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; background: #eff2f5;
               border-radius: 4px; padding: 1px 5px; white-space: nowrap; }
        #findings td { font-size: 13px; }
        .empty { color: var(--muted); padding: 14px 2px; }
        .notice { display: none; background: #ddf4ff; border: 1px solid #b6e3ff; border-radius: 6px; padding: 6px 12px; margin-bottom: 12px; }
        dl.facts { display: grid; grid-template-columns: 150px 1fr; gap: 6px 16px; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .grid2 { display: grid; grid-template-columns: 1fr 320px; gap: 18px; }
        @media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
        .actions a.button { display: block; text-align: center; padding: 7px 12px; margin-bottom: 8px; border-radius: 6px;
                            border: 1px solid var(--line); background: #f6f8fa; color: var(--fg); font-weight: 500; }
        .actions a.button.primary { background: #1f883d; border-color: #1a7f37; color: #fff; }
        .actions a.button:hover { text-decoration: none; filter: brightness(0.97); }
        pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; overflow-x: auto; margin: 0; line-height: 1.45; }
        .timeline-scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
        .timeline-scroll svg { display: block; }
        .breadcrumb { font-size: 13px; color: var(--muted); }
        .subtitle { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0 18px; }
        .problem { background: #fff8c5; border: 1px solid #eed888; border-radius: 6px; padding: 8px 12px; margin-bottom: 12px; }
        tr.introduced td:first-child { box-shadow: inset 3px 0 0 var(--red); }
        tr.fixed td:first-child { box-shadow: inset 3px 0 0 var(--green); }
        pre#replay { white-space: pre-wrap; overflow-wrap: anywhere; }
        pre#trace { white-space: pre-wrap; overflow-wrap: anywhere; }
        pre.trace { white-space: pre-wrap; overflow-wrap: anywhere; }
        p.error { background: #ffebe9; border: 1px solid #ff8182; border-radius: 6px; padding: 8px 12px; }
        p.ok { background: #dafbe1; border: 1px solid #4ac26b; border-radius: 6px; padding: 8px 12px; }
        p.note { color: var(--muted); }
        #check-form textarea { display: block; width: 100%; font-family: ui-monospace, monospace; font-size: 12px; margin: 8px 0; }
        """;
}
