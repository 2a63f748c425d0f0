;;; test.el --- llmos in real Emacs + eglot, headless  -*- lexical-binding: nil -*-
;;
;; Runs the Emacs helper block of editors/README.md exactly as a user copies it into an
;; init file (evaluated here without lexical-binding, the case that used to fail), then
;; drives the built server against the loopback fake provider:
;;  1. a reply streams while lines are typed at the top, middle and end: every reply
;;     word exactly once and in order, every typed line once;
;;  2. llmos-commit with the buffer open: no "changed on disk" question, and the buffer,
;;     the file and HEAD agree;
;;  3. a reply cut at the token limit inside a code fence: the fence is closed, the
;;     marker says stop=max_tokens, and the next send works.
;; Environment: LLMOS_BIN, LLMOS_FAKE_LLM. Run: emacs --batch -Q -l editors/emacs/test.el

(require 'package)
(package-initialize) ; a user's Emacs activates installed packages (Debian: elpa-eglot)
(require 'cl-lib)
(require 'subr-x)
;; Debian byte-compiles elpa packages at install; when that step did not run, load the
;; sources it ships.
(unless (locate-library "eglot")
  (dolist (dir (file-expand-wildcards "/usr/share/emacs/site-lisp/elpa-src/*"))
    (add-to-list 'load-path dir)))

(defvar llmos-test-dir (file-name-directory (or load-file-name buffer-file-name)))
(defvar llmos-test-procs nil)

(defun llmos-test-fail (fmt &rest args)
  (message "FAIL: %s" (apply #'format fmt args))
  (dolist (p llmos-test-procs) (when (process-live-p p) (delete-process p)))
  (kill-emacs 1))

(defvar llmos-test-last-idle 0)

(defun llmos-test-pump (seconds)
  "Lets Emacs work for SECONDS. eglot sends didChange from an idle timer, and idle
timers never fire in --batch; do what it does whenever the user \"pauses\" (every
`eglot-send-changes-idle-time'), as an idle interactive Emacs would."
  (accept-process-output nil seconds)
  (when (and (buffer-live-p llmos-test-buffer)
             (> (- (float-time) llmos-test-last-idle) eglot-send-changes-idle-time))
    (setq llmos-test-last-idle (float-time))
    (with-current-buffer llmos-test-buffer
      (when (eglot-current-server)
        (eglot--signal-textDocument/didChange)))))

(defun llmos-test-pause (seconds)
  (let ((deadline (+ (float-time) seconds)))
    (while (< (float-time) deadline) (llmos-test-pump 0.02))))

(defun llmos-test-wait (what pred &optional seconds)
  (let ((deadline (+ (float-time) (or seconds 30))) value)
    (while (and (not (setq value (funcall pred))) (< (float-time) deadline))
      (llmos-test-pump 0.05))
    (or value
        (llmos-test-fail "timed out waiting for %s; buffer:\n%s" what
                         (if (buffer-live-p llmos-test-buffer)
                             (with-current-buffer llmos-test-buffer (buffer-string)) "")))))

(defvar llmos-test-buffer nil)

(defun llmos-test-env (name)
  (let ((v (getenv name)))
    (unless (and v (file-executable-p v)) (llmos-test-fail "set %s to an executable" name))
    v))

(defun llmos-test-fake (&rest args)
  "Starts the fake provider with ARGS; returns its port."
  (let* ((out (generate-new-buffer " *fake*"))
         (proc (apply #'start-process "fake" out (llmos-test-env "LLMOS_FAKE_LLM")
                      "--port" "0" "--provider" "openai" "--exit-after" "120" args)))
    (push proc llmos-test-procs)
    (llmos-test-wait "the fake LLM to listen"
                     (lambda () (with-current-buffer out
                                  (goto-char (point-min))
                                  (when (re-search-forward "listening on 127\\.0\\.0\\.1:\\([0-9]+\\)" nil t)
                                    (match-string 1))))
                     10)))

(defun llmos-test-git (dir &rest args)
  (unless (= 0 (apply #'call-process "git" nil nil nil "-C" dir args))
    (llmos-test-fail "git %S failed" args)))

(defun llmos-test-workspace (port session-name session)
  (let* ((root (file-truename (make-temp-file "llmos-emacs" t)))
         (user (expand-file-name "volumes/user" root)))
    (make-directory (expand-file-name "sessions" user) t)
    (with-temp-file (expand-file-name "llmos.toml" root)
      (insert (format "[llm]\nprovider = \"openai\"\nbase_url = \"http://127.0.0.1:%s/v1\"\nmodel = \"m\"\napi_key_env = \"\"\n" port)))
    (with-temp-file (expand-file-name (concat "sessions/" session-name) user) (insert session))
    (llmos-test-git user "init" "-q")
    (llmos-test-git user "config" "user.name" "Test")
    (llmos-test-git user "config" "user.email" "test@example.com")
    root))

(defun llmos-test-open (file)
  "Visits FILE with eglot connected; returns the buffer."
  (setq llmos-test-buffer (find-file-noselect file))
  (with-current-buffer llmos-test-buffer
    (text-mode)
    (apply #'eglot (eglot--guess-contact))
    (let ((server (llmos-test-wait "eglot to connect" (lambda () (eglot-current-server)) 20)))
      (llmos-test-wait "the server to load the workspace"
                       (lambda () (plist-get (jsonrpc-request server :llmos/status nil) :ready)) 20)))
  llmos-test-buffer)

;; The buffer's text with the usage figures (tokens=IN/OUT cache=R/W) taken off the
;; assistant markers: this test is about where text lands; the server's tests check them.
(defun llmos-test-raw-text () (with-current-buffer llmos-test-buffer (buffer-substring-no-properties (point-min) (point-max))))
(defun llmos-test-text ()
  (replace-regexp-in-string " \\(tokens\\|cache\\)=[0-9]+/[0-9]+" "" (llmos-test-raw-text)))

(defun llmos-test-count (needle text)
  (let ((n 0) (start 0))
    (while (string-match (regexp-quote needle) text start)
      (setq n (1+ n) start (match-end 0)))
    n))

(defun llmos-test-type (place line)
  (with-current-buffer llmos-test-buffer
    (save-excursion
      (pcase place
        ('top (goto-char (point-min)))
        ('middle (goto-char (point-min)) (forward-line (/ (count-lines (point-min) (point-max)) 2)))
        ('end (goto-char (point-max)) (unless (bolp) (insert "\n"))))
      (insert line "\n"))))

(condition-case err
    (progn
      ;; The README's block, as copied into an init file without lexical-binding.
      (let* ((readme (with-temp-buffer
                       (insert-file-contents (expand-file-name "../README.md" llmos-test-dir))
                       (buffer-string)))
             (start (string-match "```elisp\n(require 'eglot)" readme))
             (from (+ start (length "```elisp\n")))
             (to (string-match "^```$" readme from))
             (block (substring readme from to)))
        ;; Loads both ways; the tests below run the definitions made without it.
        (dolist (lexical '(t nil))
          (let ((pos 0))
            (while (string-match "[^ \t\n]" block pos)
              (let ((r (read-from-string block pos)))
                (eval (car r) lexical)
                (setq pos (cdr r)))))))
      (add-to-list 'auto-mode-alist '("\\.md\\'" . text-mode))
      (let ((bin (llmos-test-env "LLMOS_BIN")))
        ;; The README starts "llmos" from PATH.
        (setq exec-path (cons (file-name-directory bin) exec-path))
        (setenv "PATH" (concat (file-name-directory bin) ":" (getenv "PATH"))))

      ;; 1. Streaming while typing.
      (let* ((words (cl-loop for i below 40 collect (format "w%02d" i)))
             (port (llmos-test-fake "--reply" (concat (mapconcat #'identity words " ") " ") "--chunks" "40" "--delay-ms" "50"))
             (root (llmos-test-workspace port "chat.md" "---\ntitle: Emacs typing\nid: chat\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nCount to forty.\n"))
             (file (expand-file-name "volumes/user/sessions/chat.md" root))
             (typed nil))
        (llmos-test-open file)
        (with-current-buffer llmos-test-buffer (llmos-send))
        (llmos-test-wait "the reply to start" (lambda () (string-match-p "w01" (llmos-test-text))))
        (dotimes (round 3)
          (dolist (place '(top middle end))
            (let ((line (format "TYPED %s %d" place (1+ round))))
              (llmos-test-type place line)
              (push line typed)
              (llmos-test-pause 0.07))))
        (llmos-test-wait "the last word and the next user turn"
                         (lambda () (let ((text (llmos-test-text)))
                                      (and (string-match "w39" text)
                                           (string-match-p "<!-- turn: user -->" text (match-end 0))))))
        (llmos-test-pause 1.0)
        (let* ((text (llmos-test-text)) (seen nil) (start 0))
          (when (getenv "LLMOS_TEST_VERBOSE") (message "%s" text))
          (while (string-match "w[0-9][0-9]" text start)
            (push (match-string 0 text) seen)
            (setq start (match-end 0)))
          (unless (equal (nreverse seen) words)
            (llmos-test-fail "reply words lost, doubled or out of order:\n%s" text))
          (dolist (line typed)
            (unless (= 1 (llmos-test-count line text))
              (llmos-test-fail "typed line %S lost or doubled:\n%s" line text)))
          (unless (= 1 (llmos-test-count "<!-- turn: assistant model=m -->" text))
            (llmos-test-fail "the assistant marker is not intact:\n%s" text)))
        (message "ok - emacs stream_typing")

        ;; 2. Commit with the buffer open (and unsaved typing in it). The lines typed
        ;; into the frontmatter go first: a session without valid frontmatter is not committed.
        (with-current-buffer llmos-test-buffer
          (goto-char (point-min))
          (flush-lines "^TYPED \\(top\\|middle\\)")
          (goto-char (point-max))
          (insert "Next question.\n")
          (llmos-commit))
        (let ((user (expand-file-name "volumes/user" root)))
          (llmos-test-wait "the commit to be saved"
                           (lambda () (with-current-buffer llmos-test-buffer
                                        (and (not (buffer-modified-p))
                                             (string-match-p "^status: committed$" (llmos-test-text))))))
          (let ((disk (with-temp-buffer (insert-file-contents file) (buffer-string)))
                (head (with-temp-buffer
                        (call-process "git" nil t nil "-C" user "show" "HEAD:sessions/chat.md")
                        (buffer-string))))
            (unless (and (equal disk (llmos-test-raw-text)) (equal disk head))
              (llmos-test-fail "buffer, file and HEAD differ:\n--buffer\n%s--disk\n%s--head\n%s" (llmos-test-raw-text) disk head)))
          ;; Editing again asks nothing (the file did not change behind the buffer).
          (with-current-buffer llmos-test-buffer
            (goto-char (point-max))
            (insert "more\n")
            (save-buffer)))
        (message "ok - emacs commit_open")
        (eglot-shutdown (with-current-buffer llmos-test-buffer (eglot-current-server)))
        (kill-buffer llmos-test-buffer))

      ;; 3. A reply cut inside a fence, then the next send.
      (let* ((port (llmos-test-fake "--cut-first" "Here:\n\n```python\nfor i in range(3):\n    print(i" "--reply" "second answer"))
             (root (llmos-test-workspace port "cut.md" "---\ntitle: Emacs cut\nid: cut\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nWrite a loop.\n"))
             (file (expand-file-name "volumes/user/sessions/cut.md" root)))
        (llmos-test-open file)
        (with-current-buffer llmos-test-buffer (llmos-send))
        (llmos-test-wait "the cut reply, closed, marked stop=max_tokens"
                         (lambda () (string-match-p (regexp-quote "<!-- turn: assistant model=m stop=max_tokens -->\nHere:\n\n```python\nfor i in range(3):\n    print(i\n```\n\n<!-- turn: user -->\n") (llmos-test-text))))
        (with-current-buffer llmos-test-buffer
          (goto-char (point-max))
          (insert "Now finish it.\n"))
        (llmos-test-pause 0.7)
        (with-current-buffer llmos-test-buffer (llmos-send))
        (llmos-test-wait "the second reply"
                         (lambda () (string-match-p (regexp-quote "Now finish it.\n\n<!-- turn: assistant model=m -->\nsecond answer\n\n<!-- turn: user -->") (llmos-test-text))))
        (message "ok - emacs cut_fence")
        ;; New session: eglot 1.9 has no window/showDocument; the helper opens the path.
        (with-current-buffer llmos-test-buffer (llmos-new-session "From Emacs"))
        (let ((opened (llmos-test-wait "the new session to be visited"
                                       (lambda () (cl-find-if (lambda (b) (string-match-p "/sessions/.*from-emacs.*\\.md\\'" (or (buffer-file-name b) "")))
                                                              (buffer-list))))))
          (unless (string-match-p "title: From Emacs" (with-current-buffer opened (buffer-string)))
            (llmos-test-fail "the new session has no title:\n%s" (with-current-buffer opened (buffer-string)))))
        (message "ok - emacs new_session")
        (eglot-shutdown (with-current-buffer llmos-test-buffer (eglot-current-server))))
      (dolist (p llmos-test-procs) (when (process-live-p p) (delete-process p)))
      (kill-emacs 0))
  (error (llmos-test-fail "%S" err)))
