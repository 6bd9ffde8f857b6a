//! The stylesheet and the island loader in every page's head, under the
//! content-hashed names `cargo xtask build` gives them (so they can be
//! cached for a year: a new build is a new name).
//!
//! Leptos's own `HydrationScripts` preloads the wasm on every page. Most
//! pages have no island, so the loader here fetches the JavaScript and the
//! wasm only when the page has one: a signed-in page with nothing
//! interactive costs its HTML and the (cached) stylesheet, nothing more.

use leptos::prelude::*;

/// Where the site's stylesheet, JavaScript and wasm are, under `/pkg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetNames {
    pub css: String,
    pub js: String,
    pub wasm: String,
}

impl AssetNames {
    /// From a `hash.txt` (lines such as `js: 0123abcd`, as cargo-leptos
    /// writes them); without one, the unhashed names cargo-leptos uses.
    pub fn parse(hash_file: Option<&str>, output_name: &str, pkg_dir: &str) -> Self {
        let hash = |kind: &str| {
            hash_file
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim() == kind)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let name = |kind: &str| match hash(kind) {
            Some(h) => format!("/{pkg_dir}/{output_name}.{h}.{kind}"),
            None => format!("/{pkg_dir}/{output_name}.{kind}"),
        };
        Self {
            css: name("css"),
            js: name("js"),
            wasm: name("wasm"),
        }
    }

    /// The loader: a module script (deferred, so the page is parsed when it
    /// runs) that does nothing on a page without islands. Otherwise, once
    /// the browser is idle, it loads the wasm and hands each island its
    /// element, which is what Leptos's islands loader does.
    ///
    /// An island whose root element says `data-hydrate="on-focus"` is a
    /// convenience the page works without (the password field's "Show"
    /// button): if every island on the page is one, the wasm is fetched
    /// only when focus or a pointer first enters one of them, so someone
    /// who never uses it (signing in through their organisation's account,
    /// say) never downloads it.
    pub fn island_loader(&self) -> String {
        format!(
            "((js, wasm) => {{\n\
             const islands = document.querySelectorAll('leptos-island');\n\
             if (islands.length === 0) return;\n\
             let started = false;\n\
             const start = async () => {{\n\
               if (started) return;\n\
               started = true;\n\
               const mod = await import(js);\n\
               await mod.default({{ module_or_path: wasm }});\n\
               mod.hydrate();\n\
               for (const el of islands) {{\n\
                 const island = mod[el.dataset.component];\n\
                 if (island) await island(el);\n\
                 else console.warn('no wasm export for the island ' + el.dataset.component);\n\
               }}\n\
             }};\n\
             const onFocus = (el) => el.firstElementChild?.dataset.hydrate === 'on-focus';\n\
             if ([...islands].every(onFocus)) {{\n\
               for (const el of islands) {{\n\
                 for (const kind of ['focusin', 'pointerdown']) el.addEventListener(kind, start, {{ once: true }});\n\
               }}\n\
             }} else if ('requestIdleCallback' in window) requestIdleCallback(start); else start();\n\
             }})({:?}, {:?});",
            self.js, self.wasm
        )
    }
}

#[cfg(feature = "ssr")]
fn names(options: &LeptosOptions) -> &'static AssetNames {
    static NAMES: std::sync::OnceLock<AssetNames> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        // Beside the server binary, where Leptos and cargo-leptos keep it.
        let text = std::env::current_exe()
            .ok()
            .and_then(|exe| std::fs::read_to_string(exe.with_file_name(&*options.hash_file)).ok());
        AssetNames::parse(text.as_deref(), &options.output_name, &options.site_pkg_dir)
    })
}

/// The stylesheet link and the island loader, for the shell's `<head>`.
#[component]
pub fn SiteAssets(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let names = names(&options).clone();
    #[cfg(not(feature = "ssr"))]
    let names = AssetNames::parse(None, &options.output_name, &options.site_pkg_dir);
    // Islands mode: only the islands hydrate, so the server leaves out the
    // hydration markers everywhere else (what `HydrationScripts` does).
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let nonce = leptos::nonce::use_nonce();
    let loader = names.island_loader();
    view! {
        <link rel="stylesheet" href=names.css/>
        <script type="module" nonce=nonce>{loader}</script>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_come_from_the_hash_file() {
        let names = AssetNames::parse(Some("js: aa11\nwasm: bb22\ncss: cc33\n"), "skillmap", "pkg");
        assert_eq!(names.js, "/pkg/skillmap.aa11.js");
        assert_eq!(names.wasm, "/pkg/skillmap.bb22.wasm");
        assert_eq!(names.css, "/pkg/skillmap.cc33.css");
    }

    #[test]
    fn without_a_hash_file_the_names_are_plain() {
        let names = AssetNames::parse(None, "skillmap", "pkg");
        assert_eq!(names.css, "/pkg/skillmap.css");
        assert_eq!(names.wasm, "/pkg/skillmap.wasm");
        let loader = names.island_loader();
        assert!(loader.contains("\"/pkg/skillmap.js\", \"/pkg/skillmap.wasm\""));
        assert!(
            !loader.contains('<'),
            "the script text must not close its element"
        );
    }
}
