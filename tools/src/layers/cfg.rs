//! Recognising code that is compiled only for tests.

/// Whether `attrs` hold a `#[cfg(test)]` (or `#[cfg(all(test, …))]`) attribute, so the
/// item they belong to exists only in test builds.
pub(crate) fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let syn::Meta::List(list) = &attr.meta else {
            return false;
        };
        if !list.path.is_ident("cfg") {
            return false;
        }
        list.parse_args::<syn::Meta>()
            .is_ok_and(|meta| requires_test(&meta))
    })
}

/// Whether a `cfg` predicate can hold only when `test` is set.
fn requires_test(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(path) => path.is_ident("test"),
        syn::Meta::List(list) if list.path.is_ident("all") => list
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|all| all.iter().any(requires_test)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(src: &str) -> Vec<syn::Attribute> {
        let item: syn::ItemMod = syn::parse_str(&format!("{src} mod m {{}}")).unwrap();
        item.attrs
    }

    #[test]
    fn test_cfgs_are_recognised() {
        assert!(is_test_only(&attrs("#[cfg(test)]")));
        assert!(is_test_only(&attrs("#[cfg(all(test, unix))]")));
        assert!(!is_test_only(&attrs("#[cfg(not(test))]")));
        assert!(!is_test_only(&attrs("#[cfg(any(test, unix))]")));
        assert!(!is_test_only(&attrs("#[derive(Debug)]")));
    }
}
