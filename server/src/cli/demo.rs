//! The offline demo workspace: a few skills per volume and sessions on several topics,
//! committed over several days with context-memory messages, so history, evolution
//! and hovers have something real to show.

use llmos_documents::VolumeKind;
use llmos_vcs::Volume;
use llmos_workspace::Config;

const DAY: i64 = 86_400;

struct DemoSkill {
    volume: VolumeKind,
    name: &'static str,
    description: &'static str,
    body: &'static str,
}

const SKILLS: &[DemoSkill] = &[
    DemoSkill {
        volume: VolumeKind::User,
        name: "python-data-cleaning",
        description: "Cleans tabular data with pandas: types, missing values, duplicates. Use when a CSV or DataFrame needs tidying before analysis or plotting.",
        body: "# Python data cleaning\n\n1. Load with `pandas.read_csv`, parsing dates.\n2. Fix column types; coerce errors to NaN.\n3. Report and handle missing values.\n4. Drop exact duplicates; keep a log of what changed.\n",
    },
    DemoSkill {
        volume: VolumeKind::User,
        name: "quantum-basics",
        description: "Explains qubits, gates and measurement with small Qiskit examples. Use when a session starts from quantum computing fundamentals.",
        body: "# Quantum basics\n\n- A qubit is a unit vector in C².\n- `H` makes superpositions, `CX` entangles.\n- Measurement samples bitstrings; repeat shots for statistics.\n",
    },
    DemoSkill {
        volume: VolumeKind::Team,
        name: "sql-review",
        description: "Reviews SQL queries for correctness and performance. Use when writing or changing queries against the analytics warehouse.",
        body: "# SQL review\n\n1. Check joins for fan-out.\n2. Prefer explicit column lists.\n3. Look at the plan (`EXPLAIN ANALYZE`) for sequential scans on large tables.\n",
    },
    DemoSkill {
        volume: VolumeKind::Team,
        name: "matplotlib-charts",
        description: "House style for matplotlib charts: labelled axes, units, colour-blind palette. Use when producing a chart for a report.",
        body: "# Matplotlib charts\n\n- Always label axes with units.\n- Use the `tab10` palette.\n- Save as SVG for reports, PNG for chat.\n",
    },
    DemoSkill {
        volume: VolumeKind::System,
        name: "writing-skills",
        description: "How to write a good skill: name, a description that says when to use it, a short body with steps. Use when creating or reviewing a skill.",
        body: "# Writing skills\n\n1. Pick a lowercase hyphenated name equal to the folder.\n2. Describe what it does and when to use it.\n3. Keep the body under 500 lines; move detail to references/.\n",
    },
];

struct DemoSession {
    days_ago: i64,
    title: &'static str,
    skills: &'static [&'static str],
    prompt: &'static str,
    reply: &'static str,
    followup: Option<&'static str>,
}

const SESSIONS: &[DemoSession] = &[
    DemoSession {
        days_ago: 5,
        title: "Bell state circuit",
        skills: &["quantum-basics"],
        prompt: "Build a quantum circuit that prepares a Bell state on two qubits and measure both.",
        reply: "Apply a Hadamard to q0, then a CNOT from q0 to q1, then measure.\n\n```python artifact=bell_state.py\nfrom qiskit import QuantumCircuit\nqc = QuantumCircuit(2, 2)\nqc.h(0)\nqc.cx(0, 1)\nqc.measure([0, 1], [0, 1])\n```\n\nThe diagram is in [the circuit file](../artifacts/bell_state.circuit.json).\n\n```trace\nsimulated 1024 shots: 00 → 509, 11 → 515\n```\n",
        followup: None,
    },
    DemoSession {
        days_ago: 4,
        title: "VQE for H2",
        skills: &["quantum-basics"],
        prompt: "Create a quantum circuit for VQE on the H2 molecule with a hardware-efficient ansatz and a COBYLA optimizer.",
        reply: "Here is a two-qubit ansatz with RY rotations and a CNOT, optimised with COBYLA.\n\n```python artifact=vqe_h2.py\nfrom qiskit.circuit.library import TwoLocal\nansatz = TwoLocal(2, 'ry', 'cx', reps=2)\n```\n\n```trace\niteration 40: energy -1.1372 Ha\n```\n",
        followup: Some("Plot the energy per optimizer iteration."),
    },
    DemoSession {
        days_ago: 3,
        title: "QAOA max-cut",
        skills: &["qiskit-transpiler"],
        prompt: "Design a quantum circuit for QAOA on a 4-node max-cut graph and optimise the angles.",
        reply: "A depth-1 QAOA circuit: Hadamards, ZZ cost layer per edge, RX mixer.\n\n```python artifact=qaoa_maxcut.py\n# cost and mixer layers for edges (0,1),(1,2),(2,3),(3,0)\n```\n",
        followup: None,
    },
    DemoSession {
        days_ago: 5,
        title: "Monthly sales chart",
        skills: &["matplotlib-charts"],
        prompt: "Plot monthly sales from sales.csv as a line chart with a title and labelled axes.",
        reply: "Read the CSV with pandas and plot month against revenue.\n\n```python artifact=sales_chart.py\nimport pandas as pd\nimport matplotlib.pyplot as plt\ndf = pd.read_csv('sales.csv', parse_dates=['month'])\nfig, ax = plt.subplots()\nax.plot(df['month'], df['revenue'])\nax.set_title('Monthly sales')\nplt.savefig('sales_chart.png')\n```\n\nData: [sales.csv](../artifacts/sales.csv)\n",
        followup: Some("Add units to the axes, please."),
    },
    DemoSession {
        days_ago: 2,
        title: "Temperature time series",
        skills: &["python-data-cleaning", "matplotlib-charts"],
        prompt: "Make a chart of daily temperatures from the CSV, plotted as a time series with a rolling mean.",
        reply: "Parse dates, compute a 7-day rolling mean and plot both series.\n\n```python artifact=temperature_plot.py\nimport pandas as pd\nimport matplotlib.pyplot as plt\ndf = pd.read_csv('temperatures.csv', parse_dates=['day'])\ndf['rolling'] = df['temp'].rolling(7).mean()\nplt.plot(df['day'], df['temp'], df['day'], df['rolling'])\nplt.savefig('temperatures.png')\n```\n\n```trace\nTraceback (most recent call last):\nKeyError: 'date'\n```\n\nThe column is called `day`, not `date`: read it with `parse_dates=['day']` as above.\n",
        followup: Some("Put units on both axes."),
    },
    DemoSession {
        days_ago: 1,
        title: "Histogram of response times",
        skills: &[],
        prompt: "Plot a histogram of API response times from the CSV log and label the axes.",
        reply: "Use 50 bins and a log-scaled x axis.\n\n```python artifact=latency_hist.py\nimport pandas as pd\nimport matplotlib.pyplot as plt\ndf = pd.read_csv('latency.csv')\nplt.hist(df['ms'], bins=50)\nplt.xscale('log')\nplt.savefig('latency_hist.png')\n```\n\n```trace\nKeyError: 'date'\n```\n\nThe log has no `date` column; the histogram only needs `ms`.\n",
        followup: None,
    },
    DemoSession {
        days_ago: 3,
        title: "Top customers query",
        skills: &[],
        prompt: "Write a SQL query that returns the ten customers with the highest total order value last year.",
        reply: "```sql artifact=top_customers.sql\nSELECT customer_id, SUM(total) AS value\nFROM orders\nWHERE order_date >= date '2025-01-01' AND order_date < date '2026-01-01'\nGROUP BY customer_id\nORDER BY value DESC\nLIMIT 10;\n```\n",
        followup: None,
    },
    DemoSession {
        days_ago: 2,
        title: "Weekly active users",
        skills: &[],
        prompt: "Write an SQL query counting weekly active users from the events table.",
        reply: "```sql artifact=wau.sql\nSELECT date_trunc('week', ts) AS week, COUNT(DISTINCT user_id)\nFROM events GROUP BY 1 ORDER BY 1;\n```\n",
        followup: None,
    },
    DemoSession { days_ago: 1, title: "Capital of Australia", skills: &[], prompt: "What is the capital of Australia?", reply: "Canberra.\n", followup: None },
];

const CIRCUIT: &str = r#"{"numQubits": 2, "gates": [{"type": "H", "target": 0, "time": 0}, {"type": "CNOT", "control": 0, "target": 1, "time": 1}], "measurements": [0, 1]}
"#;

const SALES_CSV: &str = "month,revenue\n2026-01,120\n2026-02,135\n2026-03,128\n2026-04,160\n2026-05,171\n2026-06,190\n";

/// Writes the demo into the volumes and commits it. Returns (skills, sessions).
pub fn write_demo(config: &Config) -> Result<(usize, usize), String> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for skill in SKILLS {
        let vol = config.volume(skill.volume);
        let dir = vol.path.join("skills").join(skill.name);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let text = format!(
            "---\nname: {}\ndescription: {}\nmetadata:\n  author: llmos demo\n---\n\n{}",
            skill.name,
            llmos_documents::lint::yaml_scalar(skill.description),
            skill.body
        );
        let path = dir.join("SKILL.md");
        let repo = demo_repo(&vol.path)?;
        repo.commit_file_at(&path, text.as_bytes(), &format!("skill: {} (demo)", skill.name), Some(now - 6 * DAY)).map_err(|e| e.to_string())?;
    }
    let user = config.volume(VolumeKind::User);
    let repo = demo_repo(&user.path)?;
    let artifacts = user.path.join("artifacts");
    std::fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
    repo.commit_file_at(&artifacts.join("bell_state.circuit.json"), CIRCUIT.as_bytes(), "artifact: bell_state.circuit.json", Some(now - 6 * DAY))
        .map_err(|e| e.to_string())?;
    repo.commit_file_at(&artifacts.join("sales.csv"), SALES_CSV.as_bytes(), "artifact: sales.csv", Some(now - 6 * DAY)).map_err(|e| e.to_string())?;
    let mut sessions: Vec<&DemoSession> = SESSIONS.iter().collect();
    sessions.sort_by_key(|s| std::cmp::Reverse(s.days_ago));
    for (i, s) in sessions.iter().enumerate() {
        let when = now - s.days_ago * DAY + i as i64 * 600;
        let at = time::OffsetDateTime::from_unix_timestamp(when).map_err(|e| e.to_string())?;
        let id = llmos_engine::session::new_session_id(s.title, at);
        let created = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let skills = s.skills.join(", ");
        let mut text = format!(
            "---\ntitle: {}\nid: {id}\nstatus: uncommitted\ncommit: null\ncreated: {created}\nmodel: claude-sonnet-4-5\nskills: [{skills}]\n---\n\n<!-- turn: user -->\n{}\n\n<!-- turn: assistant model=claude-sonnet-4-5 -->\n{}\n",
            llmos_documents::lint::yaml_scalar(s.title),
            s.prompt,
            s.reply
        );
        if let Some(f) = s.followup {
            text.push_str(&format!("\n<!-- turn: user -->\n{f}\n\n<!-- turn: assistant model=claude-sonnet-4-5 -->\nDone: see the chart above.\n"));
        }
        text.push_str("\n<!-- turn: user -->\n\n");
        let path = user.path.join("sessions").join(format!("{id}.md"));
        llmos_engine::session::commit_text_at(config, &path, &text, Some(when))?;
    }
    Ok((SKILLS.len(), SESSIONS.len()))
}

/// The volume's repository, with a demo identity when none is configured.
fn demo_repo(dir: &std::path::Path) -> Result<Volume, String> {
    let repo = Volume::open(dir).map_err(|e| e.to_string())?;
    repo.ensure_identity("llmos demo", "demo@llmos.invalid").map_err(|e| e.to_string())?;
    Ok(repo)
}

/// `llmos demo [DIR]`: the whole loop offline — a demo workspace, diagnostics, history,
/// an evolution run — with what each step found printed.
pub fn run_demo(dir: Option<std::path::PathBuf>) -> std::process::ExitCode {
    use std::process::ExitCode;
    let dir = dir.unwrap_or_else(|| std::path::PathBuf::from("llmos-demo"));
    if dir.join("llmos.toml").exists() {
        return super::fail(format!("{} already holds a workspace; pick another folder: llmos demo DIR", dir.display()));
    }
    println!("== llmos init {} --demo", dir.display());
    match super::init::init_workspace(&dir, true) {
        Ok(s) => println!("{s}"),
        Err(e) => return super::fail(e),
    }
    let root = match std::path::absolute(&dir) {
        Ok(r) => r,
        Err(e) => return super::fail(e),
    };
    println!("\n== llmos check (the same rules the editor shows)");
    match llmos_workspace::check::check_paths(std::slice::from_ref(&root), None) {
        Ok(reports) => {
            let mut shown = 0;
            for r in &reports {
                let index = llmos_documents::LineIndex::new(&r.text);
                for d in &r.diagnostics {
                    let (l, c) = index.position(&r.text, d.range.start, llmos_documents::line_index::ColumnUnit::Chars);
                    let rel = r.path.strip_prefix(&root).unwrap_or(&r.path);
                    println!("{}:{}:{}: {}[{}]: {}", rel.display(), l + 1, c + 1, d.severity.as_str(), d.rule, d.message);
                    shown += 1;
                }
            }
            println!("{} files checked, {shown} diagnostics", reports.len());
        }
        Err(e) => return super::fail(e),
    }
    let (config, _) = llmos_workspace::Config::load(&root);
    println!("\n== llmos history (session commits parsed back from their messages)");
    if let Ok(repo) = Volume::open(&config.volume(VolumeKind::User).path)
        && let Ok(entries) = repo.history(&llmos_vcs::HistoryOptions::default())
    {
        for e in &entries {
            let arts: Vec<String> = e.commit.artifacts.iter().map(|a| format!("{}:{}", a.kind, a.name)).collect();
            println!("{} {} {:<28} {}", e.sha.get(..7).unwrap_or(&e.sha), e.time.get(..10).unwrap_or(&e.time), e.commit.title, arts.join(", "));
        }
    }
    println!("\n== llmos evolve (offline, local detection)");
    let options = llmos_engine::evolve::RunOptions { volume: VolumeKind::User, since: None, dry_run: false, detector: Some("local".into()) };
    match llmos_engine::evolve::run(&config, &options, None, &|_| {}, &|| false) {
        Ok(output) => {
            super::evolve::print_text(&output);
            println!("\nOpen {} in VS Code or Neovim with the llmos client to chat, commit and see hovers.", root.display());
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(e),
    }
}
