--- Client-local LSP handlers of the llmos client (other servers keep Neovim's own):
---   window/showDocument        evolution reports go to the one report window; a session
---                              opened without a selection gets the cursor on its prompt;
---   textDocument/rename        after Neovim applies the edit, the files it touched are
---                              saved, except buffers that already had unsaved changes,
---                              which are named in a warning;
---   workspace/codeLens/refresh refreshes the client's buffers' lenses.

local M = {}

M["window/showDocument"] = function(err, params, ctx, config)
  local default = vim.lsp.handlers["window/showDocument"]
  local fname = type(params) == "table" and type(params.uri) == "string" and params.uri:match("^file:") and vim.uri_to_fname(params.uri) or nil
  if fname and not params.external and require("llmos.evolution").is_report(fname) then
    local ok = pcall(require("llmos.evolution").show_report, fname, params.takeFocus == true)
    return { success = ok }
  end
  local result = default(err, params, ctx, config)
  if fname and params.takeFocus and not params.selection and require("llmos").config.cursor_to_prompt and fname:match("/sessions/[^/]+%.md$") then
    local win = vim.api.nvim_get_current_win()
    if vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(win)) == fname then
      require("llmos.prompt").put_cursor(win)
    end
  end
  return result
end

--- The URIs of the documents a workspace edit changes.
local function edited_uris(edit)
  local uris = {}
  for uri in pairs(type(edit.changes) == "table" and edit.changes or {}) do
    table.insert(uris, uri)
  end
  for _, change in ipairs(type(edit.documentChanges) == "table" and edit.documentChanges or {}) do
    if type(change.textDocument) == "table" and type(change.textDocument.uri) == "string" then
      table.insert(uris, change.textDocument.uri)
    end
  end
  return uris
end

--- A buffer's file relative to the workspace (`volumes/user/sessions/a.md`).
local function short(buf, root)
  local name = vim.api.nvim_buf_get_name(buf)
  if root and name:sub(1, #root + 1) == root .. "/" then
    return name:sub(#root + 2)
  end
  return vim.fn.fnamemodify(name, ":~:.")
end

--- Saves the buffers a workspace edit left modified. `before` maps each buffer that
--- existed before the edit to whether it had unsaved changes; `edited` holds the buffers
--- the edit names. Buffers created by the edit (files that were not open) are saved and
--- unlisted again; buffers with changes of the user's own are left alone.
function M.save_edited(before, edited, root)
  local function name(buf)
    return short(buf, root)
  end
  local saved, kept, failed = {}, {}, {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local created = before[buf] == nil
    if (created or edited[buf]) and vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].modified and vim.bo[buf].buftype == "" then
      if before[buf] == true then
        table.insert(kept, buf)
      else
        local ok, e = pcall(vim.api.nvim_buf_call, buf, function()
          vim.cmd("silent update")
        end)
        if ok and not vim.bo[buf].modified then
          table.insert(saved, buf)
          if created then
            vim.bo[buf].buflisted = false
          end
        else
          table.insert(failed, name(buf) .. (ok and "" or (": " .. tostring(e))))
        end
      end
    end
  end
  if #saved > 0 then
    local count = ("llmos: rename saved %d file%s"):format(#saved, #saved == 1 and "" or "s")
    -- The names when they fit on the command line; the count alone otherwise.
    vim.notify(require("llmos").fit({ count .. ": " .. table.concat(vim.tbl_map(name, saved), ", "), count }), vim.log.levels.INFO)
  end
  if #kept > 0 then
    vim.notify(
      ("llmos: rename edited %d buffer%s that had unsaved changes, left unsaved: %s (:wa writes them)"):format(#kept, #kept == 1 and "" or "s", table.concat(vim.tbl_map(name, kept), ", ")),
      vim.log.levels.WARN
    )
  end
  if #failed > 0 then
    vim.notify("llmos: rename could not save " .. table.concat(failed, "; "), vim.log.levels.ERROR)
  end
  return saved, kept
end

M["textDocument/rename"] = function(err, result, ctx, config)
  local default = vim.lsp.handlers["textDocument/rename"]
  if err or type(result) ~= "table" then
    return default(err, result, ctx, config)
  end
  local before, edited = {}, {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    before[buf] = vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].modified
  end
  for _, uri in ipairs(edited_uris(result)) do
    local ok, fname = pcall(vim.uri_to_fname, uri)
    local buf = ok and vim.fn.bufnr(fname) or -1
    if buf ~= -1 then
      edited[buf] = true
    end
  end
  local ret = default(err, result, ctx, config)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  M.save_edited(before, edited, client and client.config.root_dir)
  return ret
end

M["workspace/codeLens/refresh"] = function(err, result, ctx)
  return require("llmos.lenses").on_refresh(err, result, ctx)
end

return M
