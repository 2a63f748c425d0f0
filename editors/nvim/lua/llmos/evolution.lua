--- Evolution results for people: the server's Markdown report in ONE reused window at the
--- bottom of the tab (a second run replaces the first report there instead of opening
--- another split), the patterns and skills in the quickfix list, and a one-line summary.

local M = {}

local SCRATCH_NAME = "llmos://evolution"

--- Whether `path` is a report the server writes (`.llmos/reports/evolution-*.md`).
function M.is_report(path)
  return type(path) == "string" and path:match("/%.llmos/reports/evolution%-[^/]*%.md$") ~= nil
end

--- The report window of the current tab, or nil.
function M.window()
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.w[win].llmos_report and vim.api.nvim_win_is_valid(win) then
      return win
    end
  end
  return nil
end

local function height()
  local cfg = require("llmos").config.evolution or {}
  return math.max(3, tonumber(cfg.height) or 15)
end

--- Shows `buf` in the report window, opening that window (without moving the cursor into
--- it unless `focus`) when the tab has none. The report it replaces is dropped when no
--- other window shows it and it has no unsaved changes.
function M.show_buffer(buf, focus)
  local win = M.window()
  local previous = win and vim.api.nvim_win_get_buf(win)
  if win then
    vim.api.nvim_win_set_buf(win, buf)
  else
    win = vim.api.nvim_open_win(buf, false, { split = "below", win = -1, height = height() })
    vim.w[win].llmos_report = true
  end
  vim.wo[win].wrap = true
  vim.wo[win].linebreak = true
  vim.wo[win].winfixheight = true
  if
    previous
    and previous ~= buf
    and vim.api.nvim_buf_is_valid(previous)
    and not vim.bo[previous].modified
    and #vim.fn.win_findbuf(previous) == 0
    and (M.is_report(vim.api.nvim_buf_get_name(previous)) or vim.api.nvim_buf_get_name(previous) == SCRATCH_NAME)
  then
    pcall(vim.api.nvim_buf_delete, previous, {})
  end
  if focus then
    vim.api.nvim_set_current_win(win)
  end
  return win
end

--- Opens the report file at `path` in the report window.
function M.show_report(path, focus)
  local buf = vim.fn.bufadd(path)
  vim.fn.bufload(buf)
  vim.bo[buf].buflisted = true
  return M.show_buffer(buf, focus)
end

local function plural(n, one, many)
  return ("%d %s"):format(n, n == 1 and one or (many or one .. "s"))
end

local function list(v)
  return type(v) == "table" and v or {}
end

--- `12 commits analysed, 2 patterns, 1 skill created` (`12 commits, …` when `compact`).
function M.summary(result, compact)
  local counts, order = {}, {}
  for _, s in ipairs(list(result.skills)) do
    local action = type(s.action) == "string" and s.action or "written"
    if not counts[action] then
      counts[action] = 0
      table.insert(order, action)
    end
    counts[action] = counts[action] + 1
  end
  local parts = {
    plural(tonumber(result.commitsAnalyzed) or 0, "commit") .. (compact and "" or " analysed"),
    plural(#list(result.patterns), "pattern"),
  }
  if #order == 0 then
    table.insert(parts, "no skill written")
  end
  for _, action in ipairs(order) do
    table.insert(parts, plural(counts[action], "skill") .. " " .. action)
  end
  if #list(result.warnings) > 0 then
    table.insert(parts, plural(#result.warnings, "warning"))
  end
  return table.concat(parts, ", ")
end

--- The result as Markdown lines, for runs without a report file (a dry run).
function M.render(volume, result)
  local lines = { ("# Evolution of the %s volume (no report written)"):format(volume), "", M.summary(result), "" }
  if #list(result.patterns) > 0 then
    table.insert(lines, "## Patterns")
    table.insert(lines, "")
    for _, p in ipairs(result.patterns) do
      table.insert(lines, ("- **%s**: %s, confidence %.2f. %s"):format(p.name or "?", plural(tonumber(p.occurrences) or 0, "occurrence"), tonumber(p.confidence) or 0, p.description or ""))
    end
    table.insert(lines, "")
  end
  if #list(result.skills) > 0 then
    table.insert(lines, "## Skills")
    table.insert(lines, "")
    for _, s in ipairs(result.skills) do
      table.insert(lines, ("- %s **%s** (%s)%s"):format(s.action or "?", s.name or "?", s.path or "?", s.reason and (": " .. s.reason) or ""))
    end
    table.insert(lines, "")
  end
  for _, w in ipairs(list(result.warnings)) do
    table.insert(lines, "- warning: " .. tostring(w))
  end
  -- A reply or a description may hold newlines; a buffer line may not.
  local out = {}
  for _, l in ipairs(lines) do
    vim.list_extend(out, vim.split(l, "\n", { plain = true }))
  end
  return out
end

local function scratch()
  local buf = vim.fn.bufnr(SCRATCH_NAME)
  if buf == -1 or not vim.api.nvim_buf_is_valid(buf) then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, SCRATCH_NAME)
    vim.bo[buf].filetype = "markdown"
  end
  return buf
end

--- The first line of `path` mentioning `needle`, else 1.
local function line_of(lines, needle)
  for i, l in ipairs(lines) do
    if needle ~= "" and l:find(needle, 1, true) then
      return i
    end
  end
  return 1
end

--- Quickfix items: each skill at its file, each pattern at its line in the report.
function M.quickfix_items(result, report)
  local items = {}
  for _, s in ipairs(list(result.skills)) do
    local text = ("%s skill %s"):format(s.action or "?", s.name or "?")
    if type(s.reason) == "string" then
      text = text .. ": " .. s.reason
    end
    table.insert(items, { filename = type(s.path) == "string" and s.path or nil, lnum = 1, text = text })
  end
  local report_lines = report and vim.fn.filereadable(report) == 1 and vim.fn.readfile(report) or {}
  for _, p in ipairs(list(result.patterns)) do
    local text = ("pattern %s: %s, confidence %.2f"):format(p.name or "?", plural(tonumber(p.occurrences) or 0, "occurrence"), tonumber(p.confidence) or 0)
    if type(p.description) == "string" and p.description ~= "" then
      text = text .. ". " .. p.description:gsub("\n", " ")
    end
    table.insert(items, { filename = report, lnum = report and line_of(report_lines, p.name or "") or nil, text = text })
  end
  for _, w in ipairs(list(result.warnings)) do
    table.insert(items, { text = tostring(w):gsub("\n", " "), type = "W" })
  end
  return items
end

--- Replaces the quickfix list of the previous run (a new list otherwise, so `:colder`
--- still reaches the user's own lists).
local function set_quickfix(title, items)
  local current = vim.fn.getqflist({ title = 0, id = 0 })
  if type(current.title) == "string" and current.title:match("^llmos evolution") then
    vim.fn.setqflist({}, "r", { id = current.id, title = title, items = items })
  else
    vim.fn.setqflist({}, " ", { title = title, items = items })
  end
end

--- Shows the result of `llmos.evolution.run` on `volume`: the report (already opened by
--- the server through `window/showDocument` when there is one), the quickfix list and a
--- one-line summary.
function M.show(volume, result)
  local llmos = require("llmos")
  if type(result) ~= "table" then
    vim.notify("llmos: evolution returned nothing", vim.log.levels.WARN)
    return
  end
  local report = type(result.report) == "string" and result.report ~= "" and vim.uri_to_fname(result.report) or nil
  if report then
    local win = M.window()
    if not (win and vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(win)) == report) then
      M.show_report(report, false)
    end
  else
    local buf = scratch()
    vim.bo[buf].modifiable = true
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, M.render(volume, result))
    vim.bo[buf].modifiable = false
    vim.bo[buf].modified = false
    M.show_buffer(buf, false)
  end
  local cfg = llmos.config.evolution or {}
  local hint = ""
  if cfg.quickfix ~= false then
    local items = M.quickfix_items(result, report)
    set_quickfix(("llmos evolution (%s)"):format(volume), items)
    if #items > 0 then
      hint = " · :copen lists them"
    end
  end
  vim.notify(llmos.fit({
    ("llmos: evolution (%s): %s%s"):format(volume, M.summary(result), hint),
    ("llmos: evolution (%s): %s"):format(volume, M.summary(result)),
    ("llmos: evolution (%s): %s"):format(volume, M.summary(result, true)),
  }), vim.log.levels.INFO)
end

return M
